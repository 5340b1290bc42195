using System.Net;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Resp;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Server.Tests.Resp;

/// <summary>A RESP server on a free loopback port over an <see cref="InMemoryKvBackend"/>.</summary>
internal sealed class RespTestServer : IAsyncDisposable
{
    private RespTestServer(InMemoryKvBackend backend, RespServer server)
    {
        Backend = backend;
        Server = server;
    }

    public InMemoryKvBackend Backend { get; }
    public RespServer Server { get; }
    public int Port => Server.BoundPort;

    public static async Task<RespTestServer> StartAsync(RespOptions? options = null, AkkaRepl.Server.Security.RespAuthenticator? authenticator = null)
    {
        var backend = new InMemoryKvBackend();
        var server = new RespServer(backend, options ?? new RespOptions(), NullLogger<RespServer>.Instance, authenticator);
        await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), CancellationToken.None);
        return new RespTestServer(backend, server);
    }

    public Task<RawRespClient> ConnectAsync() => RawRespClient.ConnectAsync(Port);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Backend.DisposeAsync();
    }
}
