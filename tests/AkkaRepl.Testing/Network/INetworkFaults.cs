namespace AkkaRepl.Testing.Network;

/// <summary>
/// The partitions a spec asks for, over roles. Two implementations build them: <see cref="NetworkConductor"/> with
/// loopback fault proxies (any user, any machine) and <see cref="NamespaceNetwork"/> with network namespaces and
/// veth links (root on Linux), so a spec written against this interface runs on either and shows the proxy hides
/// nothing.
/// </summary>
public interface INetworkFaults
{
    /// <summary>Cuts both directions between <paramref name="a"/> and <paramref name="b"/>.</summary>
    void Cut(Role a, Role b);

    /// <summary>Cuts only the packets from <paramref name="from"/> to <paramref name="to"/>.</summary>
    void CutOneWay(Role from, Role to);

    /// <summary>Cuts <paramref name="role"/> off from every other role.</summary>
    void Isolate(Role role);

    /// <summary>Cuts every link between a role of <paramref name="sideA"/> and a role of <paramref name="sideB"/>.</summary>
    void Split(IEnumerable<Role> sideA, IEnumerable<Role> sideB);

    /// <summary>Every link back to normal.</summary>
    void Heal();
}
