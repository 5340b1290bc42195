using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using AkkaRepl.Replication.Protocol;

namespace AkkaRepl.Replication.Security;

/// <summary>
/// Mutual challenge-response on a node link, run on the link's stream (inside TLS when it is on) right after connect
/// and before the first frame, so every link on the replication port (the log stream and the control lane) uses it
/// without changing frame types.
/// Both ends prove they know the cluster secret with HMAC-SHA256 over a nonce from each side; the secret never
/// crosses the wire, a recorded exchange cannot be replayed (the other side's nonce is fresh), and the two proofs
/// carry different labels so neither can be reflected back as the other. Byte layout: docs/protocol.md.
/// <para>Invariant: the accepting side sends nothing but its nonce and proof until the connecting side has proved
/// itself, so a process without the secret never sees a byte of the log.</para>
/// </summary>
public static class LinkAuthentication
{
    /// <summary>The first bytes of an authenticating link: "AKRA", version 1 (u16 LE), 2 reserved zero bytes.</summary>
    private static readonly byte[] Magic = [(byte)'A', (byte)'K', (byte)'R', (byte)'A', 1, 0, 0, 0];
    private const int NonceBytes = 32;
    private const int ProofBytes = 32;
    private const byte Accepted = 1;
    private static readonly byte[] ServerLabel = "akkarepl link server v1"u8.ToArray();
    private static readonly byte[] ClientLabel = "akkarepl link client v1"u8.ToArray();

    /// <summary>How long either side waits for the other's part of the exchange.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The connecting side: proves itself and checks the other end. Does nothing when
    /// <paramref name="secret"/> is null (links are not authenticated).</summary>
    /// <exception cref="ProtocolException">The other end does not know the secret, refused ours, or does not
    /// authenticate links; the message says which.</exception>
    public static async Task ConnectAsync(Stream stream, string? secret, string peer, CancellationToken ct)
    {
        if (secret is null) return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        var key = Encoding.UTF8.GetBytes(secret);
        var clientNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        await SendAsync(stream, Concat(Magic, clientNonce), timeout.Token).ConfigureAwait(false);

        var answer = new byte[Magic.Length + NonceBytes + ProofBytes];
        if (!await ReceiveExactlyAsync(stream, answer, timeout.Token).ConfigureAwait(false))
            throw new ProtocolException($"{peer} closed the link during authentication: is akkarepl.replication.cluster-secret set there too?");
        if (!answer.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new ProtocolException($"{peer} does not speak link authentication (version 1)");
        var serverNonce = answer.AsSpan(Magic.Length, NonceBytes).ToArray();
        var serverProof = answer.AsSpan(Magic.Length + NonceBytes, ProofBytes);
        if (!CryptographicOperations.FixedTimeEquals(serverProof, Proof(key, ServerLabel, clientNonce, serverNonce)))
            throw new ProtocolException($"{peer} failed to prove the cluster secret: it is not a member, or its akkarepl.replication.cluster-secret differs");

        await SendAsync(stream, Proof(key, ClientLabel, clientNonce, serverNonce), timeout.Token).ConfigureAwait(false);
        var verdict = new byte[1];
        if (!await ReceiveExactlyAsync(stream, verdict, timeout.Token).ConfigureAwait(false) || verdict[0] != Accepted)
            throw new ProtocolException($"{peer} refused this node's proof of the cluster secret: akkarepl.replication.cluster-secret differs between the two");
    }

    /// <summary>The accepting side: checks the connecting end and proves itself. Null when the link may go on
    /// (or <paramref name="secret"/> is null); otherwise why it was refused, and nothing more is sent.</summary>
    public static async Task<string?> AcceptAsync(Stream stream, string? secret, CancellationToken ct)
    {
        if (secret is null) return null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            var key = Encoding.UTF8.GetBytes(secret);
            var hello = new byte[Magic.Length + NonceBytes];
            if (!await ReceiveExactlyAsync(stream, hello, timeout.Token).ConfigureAwait(false))
                return "it closed the link before authenticating";
            if (!hello.AsSpan(0, Magic.Length).SequenceEqual(Magic))
                return "it did not authenticate (is akkarepl.replication.cluster-secret set on that node?)";
            var clientNonce = hello.AsSpan(Magic.Length).ToArray();
            var serverNonce = RandomNumberGenerator.GetBytes(NonceBytes);
            await SendAsync(stream, Concat(Magic, serverNonce, Proof(key, ServerLabel, clientNonce, serverNonce)), timeout.Token)
                .ConfigureAwait(false);
            var proof = new byte[ProofBytes];
            if (!await ReceiveExactlyAsync(stream, proof, timeout.Token).ConfigureAwait(false))
                return "it closed the link during authentication (it does not know this node's cluster secret)";
            if (!CryptographicOperations.FixedTimeEquals(proof, Proof(key, ClientLabel, clientNonce, serverNonce)))
            {
                await SendAsync(stream, new byte[] { 0 }, timeout.Token).ConfigureAwait(false);
                return "wrong cluster secret: it is not a member, or its akkarepl.replication.cluster-secret differs";
            }
            await SendAsync(stream, new[] { Accepted }, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"it did not finish authenticating within {Timeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return "the link failed during authentication: " + e.Message;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            return "the node is stopping";
        }
    }

    private static async Task SendAsync(Stream stream, byte[] bytes, CancellationToken ct)
    {
        await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    private static byte[] Proof(byte[] key, byte[] label, byte[] clientNonce, byte[] serverNonce) =>
        HMACSHA256.HashData(key, Concat(label, clientNonce, serverNonce));

    private static byte[] Concat(params byte[][] parts)
    {
        var all = new byte[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(all, at);
            at += part.Length;
        }
        return all;
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the peer closed first.</summary>
    private static async Task<bool> ReceiveExactlyAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }
}
