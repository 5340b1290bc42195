// The cluster specs start real node processes on a 2-core machine: one at a time, so one spec's nodes never starve another's.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
