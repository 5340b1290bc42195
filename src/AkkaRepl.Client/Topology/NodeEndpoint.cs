using System.Globalization;

namespace AkkaRepl.Client.Topology;

/// <summary>A node's RESP address.</summary>
public sealed record NodeEndpoint(string Host, int Port)
{
    /// <summary>Parses <c>host:port</c>.</summary>
    /// <exception cref="ArgumentException">Not <c>host:port</c> with a port 1..65535; the message quotes the input.</exception>
    public static NodeEndpoint Parse(string text)
    {
        var colon = text?.LastIndexOf(':') ?? -1;
        if (colon <= 0 || !int.TryParse(text![(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"'{text}' is not a node address: expected host:port, e.g. 127.0.0.1:7379", nameof(text));
        return new NodeEndpoint(text[..colon], port);
    }

    public override string ToString() => $"{Host}:{Port}";
}
