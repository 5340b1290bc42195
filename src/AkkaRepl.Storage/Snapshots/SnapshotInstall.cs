using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Io;
using Microsoft.Win32.SafeHandles;

namespace AkkaRepl.Storage.Snapshots;

/// <summary>
/// A snapshot that arrives as a stream of body bytes (a replica being rebuilt): the body is written once, as it
/// arrives, into a temp file of the store's directory, behind a placeholder header. It becomes a snapshot only in
/// two steps: <see cref="Seal"/> (header with the body's length and CRC32C written, file flushed; still a temp
/// name) and <see cref="SnapshotStore.Install"/> (renamed into place, directory flushed).
/// <para>Invariant: until it is installed it is a <c>.tmp</c> file, which the store ignores and deletes at start,
/// so a crash or an abandoned transfer never leaves something that loads as a snapshot. Dispose deletes it unless
/// it was installed.</para>
/// <para>The data is pushed to the disk while the body still arrives (a background flush every
/// <see cref="FlushEveryBytes"/>), so the final flush in <see cref="Seal"/> only waits for the last stretch.</para>
/// </summary>
public sealed class SnapshotInstall : IDisposable
{
    /// <summary>How much body is written between two background flushes.</summary>
    public const long FlushEveryBytes = 32L * 1024 * 1024;

    private readonly SafeFileHandle _file;
    private long _offset = SnapshotStore.HeaderBytes;
    private long _flushKickedAt = SnapshotStore.HeaderBytes;
    private Task _flushing = Task.CompletedTask;
    private uint _crc;
    private bool _sealed;

    internal SnapshotInstall(Lsn lsn, string tempPath, string finalPath)
    {
        Lsn = lsn;
        TempPath = tempPath;
        FinalPath = finalPath;
        _file = File.OpenHandle(tempPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        RandomAccess.Write(_file, new byte[SnapshotStore.HeaderBytes], 0); // the header's place; written by Seal
    }

    /// <summary>The LSN of the image being received (the snapshot's name once installed).</summary>
    public Lsn Lsn { get; }
    public string TempPath { get; }
    public string FinalPath { get; }

    /// <summary>Body bytes written so far.</summary>
    public long BodyBytes => _offset - SnapshotStore.HeaderBytes;

    /// <summary>CRC32C of the body bytes written so far.</summary>
    public uint Crc => _crc;

    /// <summary>True once <see cref="SnapshotStore.Install"/> renamed it into place.</summary>
    public bool Installed { get; internal set; }

    /// <summary>Appends body bytes (in order, from one writer) and folds them into <see cref="Crc"/>.</summary>
    /// <exception cref="StorageUnavailableException">The disk refused the write.</exception>
    public void Write(ReadOnlySpan<byte> body)
    {
        if (_sealed) throw new InvalidOperationException("the snapshot was sealed: nothing more can be written to it");
        try { RandomAccess.Write(_file, body, _offset); }
        catch (IOException e) { throw new StorageUnavailableException($"cannot write received snapshot '{TempPath}': {e.Message}", e); }
        _crc = Crc32C.Append(_crc, body);
        _offset += body.Length;
        if (_offset - _flushKickedAt >= FlushEveryBytes && _flushing.IsCompleted)
        {
            ThrowIfFlushFailed();
            _flushKickedAt = _offset;
            _flushing = Task.Run(() => RandomAccess.FlushToDisk(_file));
        }
    }

    /// <summary>
    /// Writes the header (LSN, body length, body CRC32C) and flushes the file to disk. Call only after the body
    /// was checked (length and checksum against the sender's); the file still has its temp name afterwards.
    /// </summary>
    public void Seal()
    {
        if (_sealed) return;
        try
        {
            _flushing.GetAwaiter().GetResult();
            RandomAccess.Write(_file, SnapshotStore.BuildHeader(Lsn, BodyBytes, _crc), 0);
            RandomAccess.FlushToDisk(_file);
        }
        catch (IOException e) { throw new StorageUnavailableException($"cannot flush received snapshot '{TempPath}': {e.Message}", e); }
        _sealed = true;
    }

    internal bool IsSealed => _sealed;

    internal void CloseFile()
    {
        try { _flushing.Wait(); } catch (AggregateException) { /* reported by Seal, or the install is abandoned */ }
        _file.Dispose();
    }

    private void ThrowIfFlushFailed()
    {
        if (_flushing.IsFaulted)
            throw new StorageUnavailableException($"cannot flush received snapshot '{TempPath}': {_flushing.Exception!.InnerException!.Message}",
                _flushing.Exception.InnerException);
    }

    /// <summary>Closes the file and, unless it was installed, deletes it.</summary>
    public void Dispose()
    {
        CloseFile();
        if (!Installed)
        {
            try { File.Delete(TempPath); }
            catch (IOException) { /* a leftover temp file is deleted at the next start */ }
        }
    }
}
