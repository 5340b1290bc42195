using AkkaRepl.Core.Options;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Replication.Tests.Support;

/// <summary>A WAL in a directory of its own, deleted with it.</summary>
internal sealed class TempWal : IAsyncDisposable
{
    private readonly string _dir;

    private TempWal(string dir, WalWriter wal) => (_dir, Wal) = (dir, wal);

    public WalWriter Wal { get; }

    public static async Task<TempWal> OpenAsync(WalOptions? options = null)
    {
        var dir = Directory.CreateTempSubdirectory("akkarepl-wal-").FullName;
        try { return new TempWal(dir, await WalWriter.OpenAsync(dir, options ?? new WalOptions(), NullLogger.Instance)); }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Wal.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
