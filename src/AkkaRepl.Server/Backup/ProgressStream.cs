using System.Diagnostics;

namespace AkkaRepl.Server.Backup;

/// <summary>Passes reads through and reports the bytes read so far, at most twice a second and once at the end.</summary>
internal sealed class ProgressStream(Stream inner, Action<long> report) : Stream
{
    private readonly Stopwatch _since = Stopwatch.StartNew();
    private long _bytes;

    public long BytesRead => _bytes;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _bytes; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
        Count(await inner.ReadAsync(buffer, ct).ConfigureAwait(false));
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        _bytes += read;
        if (read == 0 || _since.ElapsedMilliseconds >= 500)
        {
            report(_bytes);
            _since.Restart();
        }
        return read;
    }
}
