using AkkaRepl.Testing.Histories;

namespace AkkaRepl.Testing.Tests.Histories;

public sealed class HistoryRecorderTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_recorded_history_loads_back_unchanged_from_its_json_lines()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("akkarepl-history").FullName, "history.jsonl");
        History recorded;
        using (var recorder = new HistoryRecorder(path))
        {
            var t0 = recorder.Now;
            await Parallel.ForAsync(0, 8, async (i, _) =>
            {
                recorder.Record(new Operation(0, i, OperationType.Write, "r0", $"{i}-0", null, t0 + i, t0 + i + 5, Outcome.Ok, null));
                recorder.Record(new Operation(0, i, OperationType.Cas, "r1", $"{i}-1", null, t0 + i, null, Outcome.Unknown, null, "timed out"));
                await Task.Yield();
            });
            recorded = recorder.ToHistory();
        }

        var loaded = History.Load(path);

        Assert.Equal(16, loaded.Operations.Count);
        Assert.Equal(recorded.Operations, loaded.Operations);
        Assert.Equal(16, loaded.Operations.Select(o => o.Id).Distinct().Count());
        Assert.Contains("\"outcome\":\"unknown\"", await File.ReadAllTextAsync(path));
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_corrupt_line_is_reported_with_its_number()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllLinesAsync(path, ["""{"id":0,"process":0,"type":"read","key":"x","invokedAt":1,"completedAt":2,"outcome":"ok"}""", "{not json"]);

        var error = Assert.Throws<FormatException>(() => History.Load(path));

        Assert.Contains($"{path}:2", error.Message);
        File.Delete(path);
    }
}
