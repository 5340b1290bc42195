using AkkaRepl.Core.Io;
using System.Buffers.Binary;
using System.Globalization;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Storage.StateMachine;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Storage.Snapshots;

/// <summary>
/// Snapshot files of a state machine in one directory, one per image, named <c>snapshot-{LSN:D20}.snap</c>.
/// A file is a 32-byte header (magic "AKRS", format version, LSN, body length, CRC32C of the body, CRC32C of
/// the header's first 28 bytes; little-endian) followed by the image body.
/// <para>Invariant: a file with a snapshot name is complete and was flushed. It holds because the image is
/// written to a <c>.tmp</c> file, fsynced, renamed (atomic within a directory) and the directory fsynced;
/// a crash leaves at most a <c>.tmp</c> file, which is ignored and deleted at start.</para>
/// <para>Loading never trusts a file blindly: the newest one whose header and body checksums match is used;
/// a corrupt one is logged as a warning and the previous one is tried, and with none the caller replays the
/// whole log.</para>
/// </summary>
public sealed partial class SnapshotStore
{
    private const uint Magic = 0x53524B41; // "AKRS" little-endian
    private const uint FormatVersion = 1;
    internal const int HeaderBytes = 32;
    private const string Prefix = "snapshot-";
    private const string Suffix = ".snap";
    private const string TempSuffix = ".tmp";
    private const string ReceivedSuffix = ".received" + TempSuffix;

    private readonly string _directory;
    private readonly SnapshotOptions _options;
    private readonly ILogger<SnapshotStore> _logger;

    /// <summary>Opens (and creates) <paramref name="directory"/>; deletes temp files a crash left behind.</summary>
    public SnapshotStore(string directory, SnapshotOptions options, ILogger<SnapshotStore> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (options.Retain < 1)
            throw new ConfigException($"akkarepl.snapshot.retain is {options.Retain}: keep at least 1 snapshot (2 or more gives a fallback)");
        _directory = Path.GetFullPath(directory);
        _options = options;
        _logger = logger;
        Directory.CreateDirectory(_directory);
        foreach (var temp in Directory.EnumerateFiles(_directory, Prefix + "*" + TempSuffix))
        {
            LogTempDeleted(_logger, temp);
            File.Delete(temp);
        }
    }

    /// <summary>Valid-named snapshot files, newest first (contents not checked).</summary>
    public IReadOnlyList<SnapshotInfo> List()
    {
        var found = new List<SnapshotInfo>();
        foreach (var path in Directory.EnumerateFiles(_directory, Prefix + "*" + Suffix))
        {
            var name = Path.GetFileName(path);
            var digits = name.AsSpan(Prefix.Length, name.Length - Prefix.Length - Suffix.Length);
            if (digits.Length == 20 && ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var lsn))
                found.Add(new SnapshotInfo(new Lsn(lsn), path, new FileInfo(path).Length));
        }
        found.Sort((a, b) => b.Lsn.CompareTo(a.Lsn));
        return found;
    }

    /// <summary>Writes <paramref name="image"/> atomically and durably, then deletes snapshots beyond
    /// <see cref="SnapshotOptions.Retain"/>. Returns the new file's description.</summary>
    /// <exception cref="StorageUnavailableException">The disk refused the write; no snapshot file was made.</exception>
    public SnapshotInfo Write(IStateImage image)
    {
        var finalPath = PathFor(image.Lsn);
        var tempPath = finalPath + TempSuffix;
        try
        {
            long length;
            using (var file = new FileStream(tempPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                file.Write(new byte[HeaderBytes]);
                var crcStream = new CrcWriteStream(file);
                using (var buffered = new BufferedStream(crcStream, 1 << 16)) // images write many small fields
                {
                    image.WriteTo(buffered);
                    buffered.Flush();
                }
                length = file.Position - HeaderBytes;
                var header = BuildHeader(image.Lsn, length, crcStream.Crc);
                file.Position = 0;
                file.Write(header);
                file.Flush(flushToDisk: true);
            }
            File.Move(tempPath, finalPath, overwrite: true);
            AkkaRepl.Core.Io.DirectorySync.Sync(_directory);
            LogWritten(_logger, image.Lsn, length, finalPath);
            Prune();
            return new SnapshotInfo(image.Lsn, finalPath, length + HeaderBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tempPath);
            throw new StorageUnavailableException($"cannot write snapshot '{finalPath}': {e.Message}", e);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>
    /// Restores <paramref name="target"/> from the newest valid snapshot and returns its LSN; null when there is
    /// none (replay the whole log). Corrupt files are skipped with a warning (and kept for an operator).
    /// </summary>
    /// <param name="loading">Called with a snapshot's body size in bytes as its restore begins (again for each fallback).</param>
    /// <param name="read">Called with each count of body bytes the restore read (start-up progress).</param>
    public Lsn? LoadLatest(IStateMachine target, Action<long>? loading = null, Action<long>? read = null)
    {
        foreach (var snapshot in List())
        {
            try
            {
                LoadFile(snapshot.Path, snapshot.Lsn, target, loading, read);
                LogLoaded(_logger, snapshot.Lsn, snapshot.Path);
                return snapshot.Lsn;
            }
            catch (Exception e) when (e is StorageCorruptException or IOException)
            {
                LogCorrupt(_logger, snapshot.Path, e.Message);
            }
        }
        LogNone(_logger, _directory);
        return null;
    }

    /// <summary>
    /// Restores <paramref name="target"/> from the one snapshot file at <paramref name="path"/>, which must hold LSN
    /// <paramref name="lsn"/>, reading only (no store is opened, so nothing in its directory is touched: a backup's
    /// verifier must not change what it verifies).
    /// </summary>
    /// <exception cref="StorageCorruptException">A checksum, the LSN or the image does not match.</exception>
    public static void LoadFile(string path, Lsn lsn, IStateMachine target, Action<long>? loading = null, Action<long>? read = null)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var length = Validate(file, lsn);
        file.Position = HeaderBytes;
        loading?.Invoke(length);
        var restored = target.Restore(new BoundedReadStream(file, length, read));
        if (restored != lsn)
            throw new StorageCorruptException($"its image is at LSN {restored}, but its name and header say {lsn}");
    }

    /// <summary>
    /// Starts receiving a snapshot at <paramref name="lsn"/> as a stream (see <see cref="SnapshotInstall"/>): its body
    /// is written once, into a temp file here, and becomes this store's snapshot only through <see cref="Install"/>.
    /// </summary>
    /// <exception cref="StorageUnavailableException">The temp file cannot be created.</exception>
    public SnapshotInstall BeginInstall(Lsn lsn)
    {
        var finalPath = PathFor(lsn);
        try { return new SnapshotInstall(lsn, finalPath + ReceivedSuffix, finalPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"cannot create '{finalPath + ReceivedSuffix}' for a received snapshot: {e.Message}", e);
        }
    }

    /// <summary>
    /// Makes a sealed <paramref name="received"/> snapshot the only one here: the others are deleted, it is renamed
    /// into place and the directory is flushed. Returns its description.
    /// </summary>
    public SnapshotInfo Install(SnapshotInstall received)
    {
        if (!received.IsSealed) throw new InvalidOperationException("a received snapshot is installed only after it was checked and sealed");
        var length = received.BodyBytes;
        received.CloseFile();
        try
        {
            foreach (var snapshot in List()) File.Delete(snapshot.Path);
            File.Move(received.TempPath, received.FinalPath, overwrite: true);
            received.Installed = true;
            AkkaRepl.Core.Io.DirectorySync.Sync(_directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"cannot install received snapshot '{received.FinalPath}': {e.Message}", e);
        }
        LogWritten(_logger, received.Lsn, length, received.FinalPath);
        return new SnapshotInfo(received.Lsn, received.FinalPath, length + HeaderBytes);
    }

    /// <summary>Makes deletions done in this directory durable (fsync of the directory).</summary>
    public void SyncDirectory() => AkkaRepl.Core.Io.DirectorySync.Sync(_directory);

    private string PathFor(Lsn lsn) =>
        Path.Combine(_directory, Prefix + lsn.Value.ToString("D20", CultureInfo.InvariantCulture) + Suffix);

    internal static byte[] BuildHeader(Lsn lsn, long length, uint bodyCrc)
    {
        var header = new byte[HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(0), Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), lsn.Value);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), bodyCrc);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(28), Crc32C.Compute(header.AsSpan(0, 28)));
        return header;
    }

    /// <summary>Checks header and body checksums; returns the body length.</summary>
    private static long Validate(FileStream file, Lsn expected)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (file.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
            throw new StorageCorruptException("it is shorter than its header");
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
            throw new StorageCorruptException("it does not start with the snapshot magic 'AKRS'");
        if (Crc32C.Compute(header[..28]) != BinaryPrimitives.ReadUInt32LittleEndian(header[28..]))
            throw new StorageCorruptException("its header checksum does not match");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (version != FormatVersion)
            throw new StorageCorruptException($"it has format version {version}; this node reads version {FormatVersion}");
        var lsn = new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(header[8..]));
        if (lsn != expected)
            throw new StorageCorruptException($"its header says LSN {lsn} but its name says {expected}");
        var length = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        if (length < 0 || length != file.Length - HeaderBytes)
            throw new StorageCorruptException($"its header says {length} body bytes but the file has {file.Length - HeaderBytes}");
        var buffer = new byte[1 << 16];
        uint crc = 0;
        int read;
        while ((read = file.Read(buffer)) > 0) crc = Crc32C.Append(crc, buffer.AsSpan(0, read));
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(header[24..]))
            throw new StorageCorruptException("its body checksum does not match");
        return length;
    }

    private void Prune()
    {
        var all = List();
        for (var i = _options.Retain; i < all.Count; i++)
        {
            TryDelete(all[i].Path);
            LogPruned(_logger, all[i].Path);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { /* best effort: a leftover temp file is deleted at the next start */ }
    }

    /// <summary>Passes writes through and accumulates their CRC32C.</summary>
    private sealed class CrcWriteStream(Stream inner) : Stream
    {
        public uint Crc { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Crc = Crc32C.Append(Crc, buffer);
            inner.Write(buffer);
        }
    }

    /// <summary>Reads at most a given number of bytes from the inner stream (the body after the header).</summary>
    private sealed class BoundedReadStream(Stream inner, long bodyLength, Action<long>? read = null) : Stream
    {
        private readonly long _length = bodyLength;
        private long _remaining = bodyLength;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (_remaining <= 0) return 0;
            if (buffer.Length > _remaining) buffer = buffer[..(int)_remaining];
            var count = inner.Read(buffer);
            _remaining -= count;
            if (count > 0) read?.Invoke(count);
            return count;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot at LSN {Lsn} written: {BodyBytes} bytes to {Path}")]
    private static partial void LogWritten(ILogger logger, Lsn lsn, long bodyBytes, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "State restored from the snapshot at LSN {Lsn} ({Path})")]
    private static partial void LogLoaded(ILogger logger, Lsn lsn, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot {Path} is corrupt and is skipped ({Reason}); trying the previous one")]
    private static partial void LogCorrupt(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "No valid snapshot in {Directory}: the whole log will be replayed")]
    private static partial void LogNone(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Old snapshot {Path} deleted (retention)")]
    private static partial void LogPruned(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unfinished snapshot {Path} from an interrupted write deleted")]
    private static partial void LogTempDeleted(ILogger logger, string path);
}
