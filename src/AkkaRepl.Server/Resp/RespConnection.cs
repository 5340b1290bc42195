using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Security;
using AkkaRepl.Storage.Kv;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// One client connection: a reader loop that parses every complete request in the buffer and dispatches it, and a
/// reply queue that writes replies in request order, from whichever thread made the head ready (see
/// RespConnection.Replies.cs), flushing once per batch.
/// <para>Invariant: replies leave in request order, and a read sees every earlier write of the same connection.
/// Writes are issued without waiting for each other (so group commit can batch them) and their pending
/// results are queued in order; before a read, WATCH or read-only EXEC runs, the reader loop waits for this
/// connection's outstanding writes, which are applied when they complete.</para>
/// <para>All fields are owned by the reader loop, except the reply queue's (guarded as described there) and
/// <c>Protocol</c> snapshots carried in each slot.</para>
/// </summary>
internal sealed partial class RespConnection
{
    private const string ReadOnlyError = "READONLY You can't write against a read only replica.";
    private const long MaxTimerMilliseconds = uint.MaxValue - 1; // the longest delay CancelAfter accepts
    private static readonly KvReply NotInteger = KvReply.Error("ERR value is not an integer or out of range");

    private readonly Socket _socket;
    private readonly IKvBackend _backend;
    private readonly RespOptions _options;
    private readonly RespServer _server;
    private readonly ILogger _logger;
    private readonly List<ReadOnlyMemory<byte>> _argv = new();
    private readonly CancellationTokenSource _closing;
    // Cancels this connection's WAITs once the reader loop ends (the client went away, or sent its last request): a
    // WAIT can wait for ever (timeout 0, or more replicas than answer), and would hold the connection open until then.
    private readonly CancellationTokenSource _waits;
    // Who may write to the PipeWriter: a drainer of the reply queue, or the reader loop on its fast path (see ReplyAsync).
    private readonly SemaphoreSlim _output = new(1, 1);
    // Slots enqueued and not yet written: incremented by the reader loop, decremented by the drainer.
    private int _slotsQueued;
    private bool _readerOwnsOutput; // reader loop only
    private PipeWriter? _out;
    private Loop.RespEventLoop? _loop; // set when the server's event loop serves this connection

    private int _protocol = 2;
    private string? _name;
    private bool _inMulti;
    private bool _multiDirty;
    private readonly List<byte[][]> _queued = new();
    private readonly List<KvWatch> _watches = new();
    private readonly RespSession _session = new();

    public RespConnection(long id, Socket socket, IKvBackend backend, RespOptions options, RespServer server,
        ILogger logger, CancellationToken serverStopping)
    {
        Id = id;
        _socket = socket;
        _backend = backend;
        _options = options;
        _server = server;
        _logger = logger;
        _closing = CancellationTokenSource.CreateLinkedTokenSource(serverStopping);
        _waits = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        Remote = socket.RemoteEndPoint?.ToString() ?? "?";
        _user = server.Authenticator.Initial;
    }

    public long Id { get; }
    public string Remote { get; }

    /// <summary>Aborts the connection (server stopping).</summary>
    public void Abort()
    {
        try { _closing.Cancel(); } catch (ObjectDisposedException) { }
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
    }

    public async Task RunAsync()
    {
        await using var stream = await OpenStreamAsync().ConfigureAwait(false);
        if (stream is null) return; // the TLS handshake failed (logged)
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096));
        var output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024));
        _out = output;
        try
        {
            await ReadLoopAsync(input).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogDropped(_logger, Id, Remote, e.Message);
        }
        finally
        {
            // As Redis, which frees a blocked client when it disconnects: nothing is left waiting for replicas for it.
            try { _waits.Cancel(); } catch (ObjectDisposedException) { }
            try { await ReleaseOutputAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
            await WaitForRepliesAsync().ConfigureAwait(false); // every reply out (or closing), then the output is ours
            await WaitForBackgroundFlushAsync().ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
            _waits.Dispose();
            _closing.Dispose();
        }
    }

    private async Task ReadLoopAsync(PipeReader input)
    {
        var ct = _closing.Token;
        while (true)
        {
            var result = await input.ReadAsync(ct).ConfigureAwait(false);
            MarkActive();
            var buffer = result.Buffer;
            var stop = false;
            while (!stop)
            {
                var status = RespParser.TryParse(buffer, _options, _argv, out var consumed, out var error);
                if (status == RespParseStatus.Incomplete)
                {
                    if (buffer.Length > _options.MaxRequestBytes + RespParser.MaxInlineBytes)
                    {
                        await ProtocolErrorAsync(RespParser.TooBigRequest).ConfigureAwait(false);
                        stop = true;
                    }
                    break;
                }
                if (status == RespParseStatus.Error)
                {
                    await ProtocolErrorAsync(error!).ConfigureAwait(false);
                    stop = true;
                    break;
                }
                if (_argv.Count > 0) stop = await DispatchAsync(_argv, ct).ConfigureAwait(false);
                _argv.Clear(); // its slices point into the buffer, which is released below
                buffer = buffer.Slice(consumed);
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            await ReleaseOutputAsync().ConfigureAwait(false); // flushes the batch's fast-path replies
            if (stop || result.IsCompleted) return;
        }
    }

    private async Task ProtocolErrorAsync(string error)
    {
        LogProtocolError(_logger, Id, Remote, error);
        await ReplyAsync(KvReply.Error(error), close: true).ConfigureAwait(false);
    }

    /// <summary>A backend exception as a client error: coded messages (<c>MOVED ...</c>) pass as they are.</summary>
    internal static string ErrorText(Exception e)
    {
        var message = e is OperationCanceledException ? "the write was cancelled" : e.Message;
        var space = message.IndexOf(' ');
        var coded = space > 0 && message.AsSpan(0, space).ContainsAnyExceptInRange('A', 'Z') == false;
        return coded ? message : "ERR " + message;
    }

    /// <summary>
    /// Sends a ready reply. Fast path: when no earlier reply is still queued, the reader loop writes it to the pipe
    /// itself (no hop to the writer loop) and keeps the output until the end of the batch, when it flushes once.
    /// Order holds because the fast path is taken only when every earlier slot was already written; replies queued
    /// while the reader holds the output are written when it releases it (<see cref="ReleaseOutputAsync"/> drains).
    /// </summary>
    private ValueTask ReplyAsync(KvReply reply, bool close = false)
    {
        if (!close && Volatile.Read(ref _slotsQueued) == 0 && (_readerOwnsOutput || _output.Wait(0)))
        {
            _readerOwnsOutput = true;
            RespWriter.Write(_out!, reply, _protocol);
            var size = RespReplySize.Of(reply);
            _fastPathBytes += size;
            AddPending(size);
            return _fastPathBytes >= FastPathFlushBytes ? ReleaseOutputAsync() : ValueTask.CompletedTask;
        }
        AddPending(RespReplySize.Of(reply)); // the drainer subtracts it once flushed
        return EnqueueAsync(new RespReplySlot(reply, null, _protocol, close));
    }

    /// <summary>Handles one request; returns true when the connection must close after it.</summary>
    private async ValueTask<bool> DispatchAsync(List<ReadOnlyMemory<byte>> argv, CancellationToken ct)
    {
        var info = KvCommandTable.Find(argv[0].Span);
        // AUTH and HELLO may hash a password (PBKDF2, tens of ms): never on the epoll thread, where it would stall every socket.
        if (info?.Name is "auth" or "hello" && (SocketCompletions.Inline || Loop.RespEventLoop.OnLoopThread)) await Task.Yield();
        if ((_user is null || _user.ReadOnly || info?.Name == "auth") && CheckAccess(argv, info) is { } denied)
        {
            await ReplyAsync(denied).ConfigureAwait(false);
            return false;
        }
        if (_inMulti && info?.Name is not ("exec" or "discard" or "multi" or "watch" or "quit"))
        {
            await ReplyAsync(Queue(argv)).ConfigureAwait(false);
            return false;
        }
        var error = KvCommandTable.CheckArity(argv, out info);
        if (error is not null)
        {
            await ReplyAsync(error).ConfigureAwait(false);
            return false;
        }
        _server.Commands.Count(info!);
        if (info!.IsWrite)
        {
            await WriteAsync(argv, ct).ConfigureAwait(false);
            return false;
        }
        if (info.IsReadOnly)
        {
            await WaitForOwnWritesAsync().ConfigureAwait(false);
            await ReplyAsync(await ReadAsync(argv, ct).ConfigureAwait(false)).ConfigureAwait(false);
            return false;
        }
        if (info.IsTransactionControl)
        {
            var answer = await TransactionAsync(info.Name, argv, ct).ConfigureAwait(false);
            if (answer is not null) await ReplyAsync(answer).ConfigureAwait(false);
            return false;
        }
        if (info.Name == "wait")
        {
            await WaitReplicasAsync(argv, ct).ConfigureAwait(false);
            return false;
        }
        if (info.Name == "lastlsn") await WaitForOwnWritesAsync().ConfigureAwait(false); // pipelined after a write, it names that write
        var reply = Connection(info.Name, argv, out var close);
        await ReplyAsync(reply, close).ConfigureAwait(false);
        return close;
    }

    private async ValueTask WriteAsync(List<ReadOnlyMemory<byte>> argv, CancellationToken ct)
    {
        if (!_backend.AcceptsWrites)
        {
            await ReplyAsync(KvReply.Error(ReadOnlyError)).ConfigureAwait(false);
            return;
        }
        var refused = KvStore.Precheck(argv);
        if (refused is not null)
        {
            await ReplyAsync(refused).ConfigureAwait(false);
            return;
        }
        // Pooled: the primary's write path returns the buffer once the write succeeded (KvPayload).
        await QueuePendingAsync(IssueWrite(KvStore.EncodeCommandPooled(argv), ct), null, isWrite: true).ConfigureAwait(false);
    }

    private ValueTask<KvReply> IssueWrite(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        try { return _backend.WriteAsync(payload, _session, ct); }
        catch (Exception e) { return ValueTask.FromException<KvReply>(e); }
    }

    // ---- MULTI / EXEC ----

    private KvReply Queue(List<ReadOnlyMemory<byte>> argv)
    {
        var error = KvCommandTable.CheckArity(argv, out var info);
        if (error is null && info!.IsWrite && !_backend.AcceptsWrites) error = KvReply.Error(ReadOnlyError);
        if (error is not null)
        {
            _multiDirty = true;
            return error;
        }
        var copy = new byte[argv.Count][];
        for (var i = 0; i < copy.Length; i++) copy[i] = argv[i].ToArray();
        _queued.Add(copy);
        return KvReply.Queued;
    }

    /// <summary>Runs MULTI, EXEC, DISCARD, WATCH or UNWATCH; null when the reply was already queued (a logged EXEC).</summary>
    private async ValueTask<KvReply?> TransactionAsync(string name, List<ReadOnlyMemory<byte>> argv, CancellationToken ct)
    {
        switch (name)
        {
            case "multi":
                if (_inMulti) return KvReply.Error("ERR MULTI calls can not be nested");
                _inMulti = true;
                return KvReply.Ok;
            case "discard":
                if (!_inMulti) return KvReply.Error("ERR DISCARD without MULTI");
                ResetTransaction();
                return KvReply.Ok;
            case "watch":
                if (_inMulti) return KvReply.Error("ERR WATCH inside MULTI is not allowed");
                await WaitForOwnWritesAsync().ConfigureAwait(false);
                for (var i = 1; i < argv.Count; i++)
                {
                    var key = argv[i];
                    if (_watches.Exists(w => w.Key.Span.SequenceEqual(key.Span))) continue;
                    _watches.Add(new KvWatch(key.ToArray(), _backend.Store.GetVersion(key.Span)));
                }
                return KvReply.Ok;
            case "unwatch":
                _watches.Clear();
                return KvReply.Ok;
            default:
                if (!_inMulti) return KvReply.Error("ERR EXEC without MULTI");
                try { return await ExecAsync(ct).ConfigureAwait(false); }
                finally { ResetTransaction(); }
        }
    }

    private async ValueTask<KvReply?> ExecAsync(CancellationToken ct)
    {
        if (_multiDirty) return KvReply.Error("EXECABORT Transaction discarded because of previous errors.");
        // Store commands run in the store, atomically; connection commands (PING, ECHO...) are answered here
        // in order, and their replies merged into the store's array.
        var storeCommands = new List<IReadOnlyList<ReadOnlyMemory<byte>>>();
        var local = new KvReply?[_queued.Count];
        var hasWrite = false;
        for (var i = 0; i < _queued.Count; i++)
        {
            var argv = _queued[i].Select(a => (ReadOnlyMemory<byte>)a).ToList();
            var info = KvCommandTable.Find(argv[0].Span)!;
            if (info.IsWrite || info.IsReadOnly)
            {
                storeCommands.Add(argv);
                hasWrite |= info.IsWrite;
            }
            else local[i] = info.Name switch
            {
                "unwatch" => KvReply.Ok,
                "wait" => WaitNow(argv), // as Redis: inside a transaction WAIT does not block
                _ => Connection(info.Name, argv, out _),
            };
        }
        var watches = _watches.ToArray();
        KvReply Merge(KvReply stored)
        {
            if (stored.Items is null) return stored; // aborted by WATCH: nil array
            var merged = new KvReply[local.Length];
            var next = 0;
            for (var i = 0; i < merged.Length; i++) merged[i] = local[i] ?? stored.Items[next++];
            return KvReply.FromArray(merged);
        }
        if (!hasWrite)
        {
            await WaitForOwnWritesAsync().ConfigureAwait(false);
            return await ConsistentReadAsync(() => Merge(_backend.Store.ExecuteReadTransaction(storeCommands, watches)), ct).ConfigureAwait(false);
        }
        if (!_backend.AcceptsWrites) return KvReply.Error(ReadOnlyError);
        await QueuePendingAsync(IssueWrite(KvStore.EncodeTransaction(storeCommands, watches), ct), Merge, isWrite: true).ConfigureAwait(false);
        return null; // the reply is already queued
    }

    private void ResetTransaction()
    {
        _inMulti = false;
        _multiDirty = false;
        _queued.Clear();
        _watches.Clear(); // EXEC and DISCARD always unwatch
    }

    // ---- replication commands ----

    /// <summary><c>DURABILITY</c> shows this connection's level; <c>DURABILITY level</c> sets it
    /// (local, quorum, all, replicas K, applied K); <c>DURABILITY default</c> goes back to the node's default.</summary>
    private KvReply SetDurability(List<ReadOnlyMemory<byte>> argv)
    {
        if (argv.Count == 1) return KvReply.FromString((_session.Durability ?? _backend.DefaultDurability).ToString());
        var text = string.Join(' ', argv.Skip(1).Select(a => System.Text.Encoding.UTF8.GetString(a.Span)));
        if (text.Equals("default", StringComparison.OrdinalIgnoreCase))
        {
            _session.Durability = null;
            return KvReply.Ok;
        }
        AkkaRepl.Replication.Primary.Durability level;
        try { level = AkkaRepl.Replication.Primary.Durability.Parse(text); }
        catch (AkkaRepl.Core.Errors.AkkaReplException e) { return KvReply.Error("ERR " + e.Message); }
        var refused = _backend.CheckDurability(level);
        if (refused is not null) return refused;
        _session.Durability = level;
        return KvReply.Ok;
    }

    /// <summary><c>WAIT numreplicas timeout</c>, as Redis: after this connection's earlier writes, block until that
    /// many replicas flushed its last write or the timeout (milliseconds, 0 = forever) passes; reply with the count.</summary>
    private async ValueTask WaitReplicasAsync(List<ReadOnlyMemory<byte>> argv, CancellationToken ct)
    {
        if (!RespParser.TryParseInt64(argv[1].Span, out var replicas) || !RespParser.TryParseInt64(argv[2].Span, out var ms))
        {
            await ReplyAsync(NotInteger).ConfigureAwait(false);
            return;
        }
        if (ms < 0)
        {
            await ReplyAsync(KvReply.Error("ERR timeout is negative")).ConfigureAwait(false);
            return;
        }
        if (ms > long.MaxValue - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
        {
            // As Redis: a deadline past the clock's range. (TimeSpan.FromMilliseconds would throw and drop the connection.)
            await ReplyAsync(KvReply.Error("ERR timeout is out of range")).ConfigureAwait(false);
            return;
        }
        if (!_backend.AcceptsWrites)
        {
            await ReplyAsync(KvReply.Error("ERR WAIT cannot be used with replica instances.")).ConfigureAwait(false);
            return;
        }
        await WaitForOwnWritesAsync().ConfigureAwait(false);
        // Beyond what a timer can wait (about 49 days) is forever in practice: no timeout, rather than a timer that throws.
        var timeout = ms == 0 || ms > MaxTimerMilliseconds ? (TimeSpan?)null : TimeSpan.FromMilliseconds(ms);
        var count = _backend.WaitForReplicasAsync(_session.LastWriteLsn, (int)Math.Clamp(replicas, 0, int.MaxValue),
            timeout, _waits.Token);
        static async Task<KvReply> Reply(Task<long> count) => KvReply.FromInteger(await count.ConfigureAwait(false));
        await QueuePendingAsync(new ValueTask<KvReply>(Reply(count)), null, isWrite: false).ConfigureAwait(false);
    }

    /// <summary><c>WAIT</c> inside EXEC: as Redis (a client that may not block), the count of replicas that hold this
    /// connection's last write now, without waiting.</summary>
    private KvReply WaitNow(List<ReadOnlyMemory<byte>> argv)
    {
        if (!RespParser.TryParseInt64(argv[1].Span, out _) || !RespParser.TryParseInt64(argv[2].Span, out var ms)) return NotInteger;
        if (ms < 0) return KvReply.Error("ERR timeout is negative");
        if (!_backend.AcceptsWrites) return KvReply.Error("ERR WAIT cannot be used with replica instances.");
        var count = _backend.WaitForReplicasAsync(_session.LastWriteLsn, 0, null, CancellationToken.None); // 0: no wait
        return count.IsCompletedSuccessfully ? KvReply.FromInteger(count.Result) : KvReply.Zero;
    }

    // ---- connection commands ----

    private KvReply Connection(string name, List<ReadOnlyMemory<byte>> argv, out bool close)
    {
        close = false;
        switch (name)
        {
            case "ping":
                return argv.Count switch
                {
                    1 => KvReply.Simple("PONG"),
                    2 => KvReply.FromBulk(argv[1].ToArray()),
                    _ => KvReply.Error("ERR wrong number of arguments for 'ping' command"),
                };
            case "echo":
                return KvReply.FromBulk(argv[1].ToArray());
            case "select":
                if (!RespParser.TryParseInt64(argv[1].Span, out var db)) return NotInteger;
                return db == 0 ? KvReply.Ok : KvReply.Error("ERR DB index is out of range");
            case "quit":
                close = true;
                return KvReply.Ok;
            case "hello":
                return Hello(argv);
            case "command":
                return Command(argv);
            case "info":
                var sections = argv.Skip(1).Select(RespInfo.Lower).ToList();
                return KvReply.FromString(RespInfo.Info(_backend, _server.ConnectionCount, sections));
            case "client":
                return Client(argv);
            case "config":
                return Config(argv);
            case "role":
                return _backend.Role();
            case "lastlsn":
                return KvReply.FromInteger((long)_session.LastWriteLsn);
            case "durability":
                return SetDurability(argv);
            case "consistency":
                return SetConsistency(argv);
            case "appliedlsn":
                return KvReply.FromInteger((long)_backend.Store.AppliedLsn.Value);
            default:
                return KvCommandTable.UnknownCommand(argv);
        }
    }

    private KvReply Hello(List<ReadOnlyMemory<byte>> argv)
    {
        var protocol = _protocol;
        if (argv.Count >= 2)
        {
            if (!RespParser.TryParseInt64(argv[1].Span, out var requested))
                return KvReply.Error("ERR Protocol version is not an integer or out of range");
            if (requested is not (2 or 3)) return KvReply.Error("NOPROTO unsupported protocol version");
            protocol = (int)requested;
        }
        string? name = null;
        string? authName = null;
        ReadOnlyMemory<byte>? authPassword = null;
        for (var i = 2; i < argv.Count; i++)
        {
            var option = RespInfo.Lower(argv[i]);
            if (option == "auth" && i + 2 < argv.Count)
            {
                authName = RespAuthenticator.Name(argv[i + 1].Span);
                authPassword = argv[i + 2];
                i += 2;
            }
            else if (option == "setname" && i + 1 < argv.Count)
            {
                name = Encoding.UTF8.GetString(argv[++i].Span);
                if (!IsValidName(name))
                    return KvReply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
            }
            else return KvReply.Error($"ERR Syntax error in HELLO option '{Encoding.UTF8.GetString(argv[i].Span)}'");
        }
        if (HelloAccess(authName, authPassword) is { } refused) return refused;
        if (name is not null) _name = name;
        _protocol = protocol;
        return KvReply.FromMap([
            KvReply.FromString("server"), KvReply.FromString("redis"),
            KvReply.FromString("version"), KvReply.FromString(RespInfo.RedisVersion),
            KvReply.FromString("proto"), KvReply.FromInteger(protocol),
            KvReply.FromString("id"), KvReply.FromInteger(Id),
            KvReply.FromString("mode"), KvReply.FromString("standalone"),
            KvReply.FromString("role"), KvReply.FromString(_backend.AcceptsWrites ? "master" : "replica"),
            KvReply.FromString("modules"), KvReply.EmptyArray,
        ]);
    }

    private KvReply Command(List<ReadOnlyMemory<byte>> argv)
    {
        if (argv.Count == 1) return KvReply.FromArray(KvCommandTable.All.Select(RespInfo.CommandEntry).ToArray());
        var sub = RespInfo.Lower(argv[1]);
        switch (sub)
        {
            case "count":
                return KvReply.FromInteger(KvCommandTable.All.Count);
            case "docs":
                return _protocol >= 3 ? KvReply.FromMap([]) : KvReply.EmptyArray;
            case "list":
                return KvReply.FromArray(KvCommandTable.All.Select(c => KvReply.FromString(c.Name)).ToArray());
            case "info":
                if (argv.Count == 2) return KvReply.FromArray(KvCommandTable.All.Select(RespInfo.CommandEntry).ToArray());
                return KvReply.FromArray(argv.Skip(2)
                    .Select(a => KvCommandTable.Find(a.Span) is { } info ? RespInfo.CommandEntry(info) : KvReply.NilArray)
                    .ToArray());
            default:
                return UnknownSubcommand(argv[1], "COMMAND");
        }
    }

    private KvReply Client(List<ReadOnlyMemory<byte>> argv)
    {
        var sub = RespInfo.Lower(argv[1]);
        switch (sub)
        {
            case "setname":
                if (argv.Count != 3) return SubcommandArity("client", sub);
                var name = Encoding.UTF8.GetString(argv[2].Span);
                if (!IsValidName(name))
                    return KvReply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                _name = name.Length == 0 ? null : name;
                return KvReply.Ok;
            case "getname":
                return argv.Count != 2 ? SubcommandArity("client", sub)
                    : _name is null ? KvReply.Nil : KvReply.FromString(_name);
            case "id":
                return argv.Count != 2 ? SubcommandArity("client", sub) : KvReply.FromInteger(Id);
            case "setinfo":
                return argv.Count != 4 ? SubcommandArity("client", sub) : KvReply.Ok;
            case "info":
                return KvReply.FromString(ClientLine() + "\n");
            case "list":
                return KvReply.FromString(ClientLine() + "\n");
            default:
                return UnknownSubcommand(argv[1], "CLIENT");
        }
    }

    private string ClientLine() =>
        $"id={Id} addr={Remote} name={_name} db=0 multi={(_inMulti ? _queued.Count : -1)} resp={_protocol}";

    private KvReply Config(List<ReadOnlyMemory<byte>> argv)
    {
        var sub = RespInfo.Lower(argv[1]);
        switch (sub)
        {
            case "get":
                if (argv.Count < 3) return SubcommandArity("config", sub);
                var pairs = new List<KvReply>();
                var known = RespInfo.Config(_options, _backend.AcceptsWrites).ToList();
                foreach (var (name, value) in known)
                {
                    if (argv.Skip(2).Any(p => RespInfo.GlobMatch(Encoding.UTF8.GetString(p.Span), name)))
                    {
                        pairs.Add(KvReply.FromString(name));
                        pairs.Add(KvReply.FromString(value));
                    }
                }
                return KvReply.FromMap(pairs);
            case "set":
                return KvReply.Error(argv.Count < 3
                    ? "ERR wrong number of arguments for 'config|set' command"
                    : $"ERR Unknown option or number of arguments for CONFIG SET - '{Encoding.UTF8.GetString(argv[2].Span)}'");
            case "resetstat":
                return KvReply.Ok;
            default:
                return UnknownSubcommand(argv[1], "CONFIG");
        }
    }

    private static KvReply SubcommandArity(string command, string sub) =>
        KvReply.Error($"ERR wrong number of arguments for '{command}|{sub}' command");

    private static KvReply UnknownSubcommand(ReadOnlyMemory<byte> sub, string command) =>
        KvReply.Error($"ERR unknown subcommand '{Encoding.UTF8.GetString(sub.Span)}'. Try {command} HELP.");

    private static bool IsValidName(string name) => name.All(c => c is > ' ' and <= '~');

    [LoggerMessage(Level = LogLevel.Debug, Message = "RESP connection {Id} from {Remote} dropped: {Reason}")]
    private static partial void LogDropped(ILogger logger, long id, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "RESP connection {Id} from {Remote} closed after a protocol error: {Error}")]
    private static partial void LogProtocolError(ILogger logger, long id, string remote, string error);
}
