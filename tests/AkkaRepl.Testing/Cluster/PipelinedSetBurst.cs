using System.Globalization;
using System.Net;
using System.Net.Sockets;
using AkkaRepl.Testing.Resp;

namespace AkkaRepl.Testing.Cluster;

/// <summary>
/// Writes <c>SET &lt;prefix&gt;&lt;i&gt; &lt;value(i)&gt;</c> for i = 0, 1, 2, ... pipelined on one RESP connection (up to
/// <see cref="MaxOutstanding"/> unanswered), and records which of them were answered <c>+OK</c>. RESP answers in
/// order, so the n-th reply belongs to the n-th SET. Runs until cancelled or the connection breaks (the node was
/// killed or stopped), which is the point: <see cref="Acknowledged"/> is then what the node promised to keep.
/// </summary>
public sealed class PipelinedSetBurst
{
    private readonly string _prefix;
    private readonly int _seed;
    private readonly SemaphoreSlim _window;
    private long _acknowledged;
    private long _errors;

    /// <summary>A burst whose keys start with <paramref name="prefix"/> and whose values carry <paramref name="seed"/>.</summary>
    public PipelinedSetBurst(string prefix, int seed, int maxOutstanding = 256)
    {
        _prefix = prefix;
        _seed = seed;
        MaxOutstanding = maxOutstanding;
        _window = new SemaphoreSlim(maxOutstanding, maxOutstanding);
    }

    /// <summary>Most SETs sent and not yet answered.</summary>
    public int MaxOutstanding { get; }

    /// <summary>How many SETs were answered +OK; they are SETs 0 .. Acknowledged-1 (in order, as RESP replies are).</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>How many replies were errors (after the first error no later reply counts as acknowledged).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The key of SET number <paramref name="i"/>.</summary>
    public string Key(long i) => _prefix + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>The value SET number <paramref name="i"/> wrote.</summary>
    public string Value(long i) => $"v{_seed.ToString(CultureInfo.InvariantCulture)}-{i.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Runs the burst against 127.0.0.1:<paramref name="port"/> until <paramref name="ct"/> or a broken connection; never throws for those.</summary>
    public async Task RunAsync(int port, CancellationToken ct)
    {
        using var tcp = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await tcp.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct).ConfigureAwait(false);
        var stream = tcp.GetStream();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(async () =>
        {
            var replies = new RespReader(stream);
            var inOrder = true;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var reply = await replies.ReadAsync(stop.Token).ConfigureAwait(false);
                    if (reply is null)
                        break;
                    if (reply.Kind == RespKind.SimpleString && reply.Text == "OK" && inOrder)
                        Interlocked.Increment(ref _acknowledged);
                    else
                    {
                        inOrder = false;
                        Interlocked.Increment(ref _errors);
                    }
                    _window.Release();
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or RespProtocolException)
            {
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }
        }, CancellationToken.None);

        try
        {
            for (long i = 0; !stop.IsCancellationRequested; i++)
            {
                await _window.WaitAsync(stop.Token).ConfigureAwait(false);
                await stream.WriteAsync(RespWriter.Encode(RespValue.Command(["SET", Key(i), Value(i)])), stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        await stop.CancelAsync().ConfigureAwait(false);
        tcp.Close();
        await reader.ConfigureAwait(false);
    }
}
