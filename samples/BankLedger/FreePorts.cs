using System.Net;
using System.Net.Sockets;

/// <summary>
/// Picks the members' ports before any node starts, because automatic failover needs every member's address in
/// every member's config: it binds port 0 for each, reads the ports back while holding them all (so no two are the
/// same), then releases them for the nodes. Another program could take one in that moment; the node then fails to
/// start and the demo picks again (<see cref="Demo"/>).
/// </summary>
internal static class FreePorts
{
    public static IReadOnlyList<MemberPorts> Reserve(IReadOnlyList<string> ids)
    {
        var listeners = ids.SelectMany(_ => new[] { Bind(), Bind() }).ToList();
        try
        {
            return ids.Select((id, i) => new MemberPorts(id, Port(listeners[2 * i]), Port(listeners[2 * i + 1]))).ToList();
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }

    private static TcpListener Bind()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;
}
