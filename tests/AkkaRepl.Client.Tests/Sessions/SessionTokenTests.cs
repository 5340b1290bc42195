using AkkaRepl.Client.Reads;
using AkkaRepl.Client.Tests.Writes;

namespace AkkaRepl.Client.Tests.Sessions;

/// <summary>A session's read-your-writes token, against a scripted primary that loses replies at chosen moments.</summary>
public sealed class SessionTokenTests
{
    [Fact(Timeout = 20_000)]
    public async Task A_session_write_whose_lsn_reply_was_lost_still_makes_the_next_read_see_it()
    {
        await Task.Yield();
        // SET is acknowledged, then the connection is lost before LASTLSN's reply: the write committed, its token is unknown.
        await using var node = new ScriptedRespNode(command => command[0].ToUpperInvariant() switch
        {
            "SET" => "+OK\r\n",
            "LASTLSN" => null,
            "APPLIEDLSN" => ":4096\r\n",
            "CONSISTENCY" => "+OK\r\n",
            "GET" => "$1\r\nv\r\n",
            _ => "-ERR unexpected\r\n",
        });
        await using var client = await AkkaReplClient.ConnectAsync(new AkkaReplClientOptions
        {
            Seeds = [node.Address],
            OperationTimeout = TimeSpan.FromSeconds(5),
        });
        var session = client.StartSession(ReadPreference.PrimaryPreferred);

        var write = await session.SetAsync("k", "v");
        Assert.Equal("OK", write.Reply.AsString());
        Assert.Equal("v", await session.GetAsync("k"));

        // The read must not go out at eventual (on a replica it could miss the write): it asks for a level that sees
        // every acknowledged write (linearizable), or for a token.
        var received = node.Received.ToArray();
        var get = Array.FindLastIndex(received, c => c[0] == "GET");
        var level = received.Take(get).LastOrDefault(c => c[0] == "CONSISTENCY");
        Assert.True(level is not null && level[1] is "linearizable" or "read-your-writes",
            $"the session read after a write whose token was lost went out at {(level is null ? "eventual (no CONSISTENCY sent)" : string.Join(' ', level))}; " +
            $"commands: {string.Join(" | ", received.Select(c => string.Join(' ', c)))}");
        Assert.Equal(4096UL, session.HighestLsn); // the linearizable read's APPLIEDLSN is the session's token from then on
    }
}
