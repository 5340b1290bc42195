using System.Runtime.InteropServices;
using System.Text;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Storage.Tests.Kv;

public sealed class KvPayloadTests
{
    private static ReadOnlyMemory<byte>[] Argv(params string[] parts) => parts.Select(p => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(p)).ToArray();

    [Fact(Timeout = 5_000)]
    public async Task The_pooled_encoding_is_byte_for_byte_the_plain_one()
    {
        await Task.Yield();
        foreach (var argv in new[] { Argv("SET", "key:000000000001", new string('v', 100)), Argv("DEL", "k"), Argv("SET", "big", new string('x', 20_000)) })
        {
            var pooled = KvStore.EncodeCommandPooled(argv);
            Assert.True(KvStore.EncodeCommand(argv).AsSpan().SequenceEqual(pooled.Span));
            KvPayload.ReturnIfPooled(pooled);
        }
    }

    [Fact(Timeout = 5_000)]
    public async Task A_returned_buffer_is_rented_again_and_returning_twice_throws()
    {
        await Task.Yield();
        var first = KvPayload.Rent(125)!;
        Assert.Equal(125, first.Memory.Length);
        Assert.True(MemoryMarshal.TryGetMemoryManager<byte, KvPayload>(first.Memory, out var manager));
        Assert.Same(first, manager);
        first.Return();
        Assert.Throws<InvalidOperationException>(first.Return);
        // Same size class (65-128 bytes): the pool hands back a returned buffer (this thread returned one last).
        var again = KvPayload.Rent(100)!;
        Assert.Equal(100, again.Memory.Length);
        again.Return();
        Assert.Null(KvPayload.Rent(16 * 1024 + 1));   // above the largest class: a plain array is used instead
    }

    [Fact(Timeout = 5_000)]
    public async Task Plain_memory_is_never_returned()
    {
        await Task.Yield();
        var plain = KvStore.EncodeCommand(Argv("SET", "k", "v"));
        KvPayload.ReturnIfPooled(plain);   // nothing happens
        Assert.Equal(KvCodec.FormatVersion, plain[0]);
    }
}
