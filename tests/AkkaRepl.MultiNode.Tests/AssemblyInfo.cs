// The specs start real node processes and measure lag and progress on a 2-core machine: they run one at a time, so
// one spec's nodes never starve another's (a spec's own nodes run in parallel with each other).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
