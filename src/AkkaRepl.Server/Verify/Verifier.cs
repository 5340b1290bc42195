using AkkaRepl.Core.Errors;
using AkkaRepl.Server.Node;
using AkkaRepl.Storage.Digest;

namespace AkkaRepl.Server.Verify;

/// <summary>A node to verify: its id and the HOST:PORT of its HTTP admin endpoint.</summary>
public sealed record VerifyTarget(string NodeId, string Address);

/// <summary>
/// Runs one verification: asks the primary for a digest marker, asks every node for its digest at the marker's
/// LSN, and for each node whose digest differs from the primary's narrows down by key range (the sixteen
/// sub-ranges of each differing range, until a range holds at most <c>leafKeys</c> keys) and lists the keys
/// that differ. Used by <c>akkarepl verify</c>, <c>POST /admin/verify</c> and the periodic verification.
/// </summary>
internal sealed class Verifier(DigestClient client, int leafKeys)
{
    public async Task<VerifyReport> RunAsync(IReadOnlyList<VerifyTarget> nodes, CancellationToken ct)
    {
        var statuses = await Task.WhenAll(nodes.Select(async n =>
        {
            try { return (n, (NodeStatus?)await client.StatusAsync(n.Address, ct).ConfigureAwait(false)); }
            catch (AkkaReplException) { return (n, (NodeStatus?)null); }
        })).ConfigureAwait(false);
        var primary = statuses.FirstOrDefault(s => s.Item2 is { AcceptsWrites: true }).n
            ?? throw new AkkaReplException($"no primary among {string.Join(", ", nodes.Select(n => $"{n.NodeId} ({n.Address})"))} answered: " +
                                           "a verification starts with a digest marker, which only the primary can write");
        var lsn = (await client.MarkAsync(primary.Address, ct).ConfigureAwait(false)).Lsn;
        var digests = await Task.WhenAll(nodes.Select(async n =>
        {
            try { return (n, Digest: await client.DigestAsync(n.Address, lsn, ct).ConfigureAwait(false), Error: (string?)null); }
            catch (AkkaReplException ex) { return (n, Digest: (NodeDigest?)null, Error: ex.Message); }
        })).ConfigureAwait(false);
        var reference = digests.Single(d => d.n == primary);
        if (reference.Digest is null)
            throw new AkkaReplException($"the primary {primary.NodeId} gave no digest at LSN {lsn}: {reference.Error}");

        var results = new List<NodeVerifyResult>();
        foreach (var (node, digest, error) in digests)
        {
            if (digest is null)
                results.Add(new NodeVerifyResult(node.NodeId, "failed", null, null, 0, [], error));
            else if (digest.Root == reference.Digest.Root)
                results.Add(new NodeVerifyResult(node.NodeId, "equal", digest.Keys, digest.Root, 1, [], null));
            else
            {
                var narrowing = new Narrowing(client, leafKeys, lsn, primary.Address, node.Address);
                try
                {
                    await narrowing.CompareAsync("", reference.Digest.Keys, digest.Keys, ct).ConfigureAwait(false);
                    results.Add(new NodeVerifyResult(node.NodeId, "different", digest.Keys, digest.Root, narrowing.Ranges,
                        narrowing.Differences.OrderBy(d => d.Key, StringComparer.Ordinal).ToList(), null));
                }
                catch (AkkaReplException ex)
                {
                    results.Add(new NodeVerifyResult(node.NodeId, "different", digest.Keys, digest.Root, narrowing.Ranges,
                        narrowing.Differences, $"narrowing down stopped: {ex.Message}"));
                }
            }
        }
        return new VerifyReport(lsn, primary.NodeId, DateTimeOffset.UtcNow, results.All(r => r.Result == "equal"), results);
    }

    /// <summary>The descent for one node against the reference.</summary>
    private sealed class Narrowing(DigestClient client, int leafKeys, ulong lsn, string reference, string node)
    {
        public int Ranges { get; private set; } = 1;
        public List<KeyDifference> Differences { get; } = [];

        public async Task CompareAsync(string prefix, int referenceKeys, int nodeKeys, CancellationToken ct)
        {
            if (prefix.Length >= StateDigest.MaxPrefixDigits || Math.Max(referenceKeys, nodeKeys) <= leafKeys)
            {
                await CompareKeysAsync(prefix, ct).ConfigureAwait(false);
                return;
            }
            var mine = await client.ChildrenAsync(reference, lsn, prefix, ct).ConfigureAwait(false);
            var theirs = await client.ChildrenAsync(node, lsn, prefix, ct).ConfigureAwait(false);
            Ranges += mine.Length;
            for (var i = 0; i < mine.Length; i++)
                if (mine[i].Digest != theirs[i].Digest)
                    await CompareAsync(mine[i].Prefix, mine[i].Keys, theirs[i].Keys, ct).ConfigureAwait(false);
        }

        private async Task CompareKeysAsync(string prefix, CancellationToken ct)
        {
            var mine = (await client.KeysAsync(reference, lsn, prefix, ct).ConfigureAwait(false)).ToDictionary(k => k.KeyBase64);
            var theirs = (await client.KeysAsync(node, lsn, prefix, ct).ConfigureAwait(false)).ToDictionary(k => k.KeyBase64);
            foreach (var (key, entry) in mine)
            {
                if (!theirs.TryGetValue(key, out var other)) Differences.Add(new KeyDifference(entry.Key, "missing on this node"));
                else if (other.Entry != entry.Entry) Differences.Add(new KeyDifference(entry.Key, "value differs"));
            }
            foreach (var (key, entry) in theirs)
                if (!mine.ContainsKey(key)) Differences.Add(new KeyDifference(entry.Key, "only on this node"));
        }
    }
}
