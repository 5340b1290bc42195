using System.Text;
using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Storage.Tests.Kv;

/// <summary>Drives a <see cref="KvStore"/> the way the applier does: payloads with increasing synthetic LSNs.</summary>
internal sealed class KvHarness(KvStore? store = null)
{
    public KvStore Store { get; } = store ?? new KvStore();
    public Lsn Next { get; private set; } = store?.AppliedLsn ?? Lsn.Zero;

    public static ReadOnlyMemory<byte>[] Argv(params string[] args) =>
        args.Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a)).ToArray();

    public KvReply Write(params string[] args) => ApplyPayload(KvStore.EncodeCommand(Argv(args)));

    public KvReply Read(params string[] args) => Store.ExecuteRead(Argv(args));

    public KvReply Exec(IReadOnlyList<KvWatch> watches, params string[][] commands) =>
        ApplyPayload(KvStore.EncodeTransaction(commands.Select(c => (IReadOnlyList<ReadOnlyMemory<byte>>)Argv(c)).ToList(), watches));

    public KvWatch Watch(string key) => new(Encoding.UTF8.GetBytes(key), Store.GetVersion(Encoding.UTF8.GetBytes(key)));

    public KvReply ApplyPayload(byte[] payload)
    {
        var entry = new CommittedEntry(Generation.First, Next, Next + (ulong)(payload.Length + 32), 0, payload);
        Next = entry.EndLsn;
        return Store.ApplyEntry(entry);
    }

    public static string Show(KvReply reply) => reply.ToString();
}
