using System.Globalization;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;

namespace AkkaRepl.Hosting.ChangeFeed;

/// <summary>
/// Where a reader of the feed is: <see cref="Lsn"/>, the end of the last change it was handed (or where it started),
/// and <see cref="History"/>, the generation history of the log up to there as the reader saw it. A node finds where a
/// returning replica's log parts from its own with the two (<see cref="GenerationHistory.CommonPoint"/>); the feed does
/// the same for a reader, at its start and whenever the log was cut back or reset under it. Used by one reader at a time.
/// </summary>
internal sealed class FeedPlace
{
    private readonly List<GenerationStart> _history;
    private readonly List<GenerationStart> _readAhead = []; // generations started past Lsn, read but not handed out yet
    private string? _historyText;                           // _history as the position file writes it; null: changed since

    public FeedPlace(Lsn lsn, IEnumerable<GenerationStart> history)
    {
        Lsn = lsn;
        _history = history.Where(e => e.Lsn < lsn).ToList();
    }

    public Lsn Lsn { get; private set; }

    /// <summary>The generations that started before <see cref="Lsn"/>, oldest first.</summary>
    public IReadOnlyList<GenerationStart> History => _history;

    /// <summary>The reader read the record that starts <paramref name="generation"/> at <paramref name="lsn"/>.</summary>
    public void ReadGenerationStart(Generation generation, Lsn lsn) => _readAhead.Add(new GenerationStart(generation, lsn));

    /// <summary>The reader was handed <paramref name="change"/>: the generations read before it are behind the place now.</summary>
    public void HandOut(AppliedChange change)
    {
        Lsn = change.EndLsn;
        if (_readAhead.Count == 0) return;
        _history.AddRange(_readAhead);
        _readAhead.Clear();
        _historyText = null;
    }

    /// <summary>The reader reads the log again from <see cref="Lsn"/>: what it read past it is read again.</summary>
    public void ForgetReadAhead() => _readAhead.Clear();

    /// <summary>
    /// The place as a position file holds it: the LSN on the first line, the history on the second as
    /// <c>GENERATION@LSN</c> entries separated by spaces, each line ending in a newline. Earlier versions wrote the
    /// LSN alone (no newline); <see cref="TryParse"/> reads those with no history.
    /// </summary>
    public string ToText()
    {
        _historyText ??= string.Join(' ', _history.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Generation.Value}@{e.Lsn.Value}")));
        return string.Create(CultureInfo.InvariantCulture, $"{Lsn.Value}\n{_historyText}\n");
    }

    /// <summary>Reads a position file's text: the LSN, and the history when the file has one (null for an LSN alone).
    /// False for anything else: an empty or torn file.</summary>
    public static bool TryParse(string text, out Lsn lsn, out List<GenerationStart>? history)
    {
        lsn = Lsn.Zero;
        history = null;
        var lines = text.Split('\n');
        if (lines.Length == 1) return TryParseNumber(text, out lsn);
        if (lines.Length != 3 || lines[2].Length != 0 || !TryParseNumber(lines[0], out lsn)) return false;
        var entries = new List<GenerationStart>();
        foreach (var entry in lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = entry.IndexOf('@', StringComparison.Ordinal);
            if (at < 0 || !ulong.TryParse(entry.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
                || !TryParseNumber(entry[(at + 1)..], out var start) || start >= lsn)
                return false;
            entries.Add(new GenerationStart(new Generation(generation), start));
        }
        history = entries;
        return true;
    }

    private static bool TryParseNumber(string text, out Lsn lsn)
    {
        var ok = ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value);
        lsn = new Lsn(value);
        return ok;
    }
}
