using System.Text;

namespace AkkaRepl.Server.Node;

/// <summary>
/// INFO sections the node owns, in Redis's "field:value" form, so Redis tools read them: a primary says
/// <c>role:master</c> with <c>slaveN:</c> lines, a replica <c>role:slave</c> with its master's address and link.
/// Offsets are LSNs.
/// </summary>
internal static class RedisInfo
{
    public static string Build(NodeHost node, NodeStatus s, string? section)
    {
        var all = string.IsNullOrEmpty(section) || section.Equals("all", StringComparison.OrdinalIgnoreCase)
            || section.Equals("everything", StringComparison.OrdinalIgnoreCase) || section.Equals("default", StringComparison.OrdinalIgnoreCase);
        bool Want(string name) => all || section!.Equals(name, StringComparison.OrdinalIgnoreCase);
        var sb = new StringBuilder();
        if (Want("server"))
        {
            sb.Append("# Server\r\n");
            sb.Append("redis_version:7.2.0\r\n");
            sb.Append("akkarepl_version:").Append(typeof(NodeHost).Assembly.GetName().Version).Append("\r\n");
            sb.Append("redis_mode:standalone\r\n");
            sb.Append("process_id:").Append(Environment.ProcessId).Append("\r\n");
            sb.Append("tcp_port:").Append(node.RespPort).Append("\r\n");
            sb.Append("uptime_in_seconds:").Append((long)(DateTimeOffset.UtcNow - s.StartedAt).TotalSeconds).Append("\r\n");
            sb.Append("node_id:").Append(s.NodeId).Append("\r\n\r\n");
        }
        if (Want("persistence"))
        {
            sb.Append("# Persistence\r\n");
            sb.Append("loading:0\r\n");
            sb.Append("aof_enabled:1\r\n");
            sb.Append("wal_first_lsn:").Append(s.FirstLsn).Append("\r\n");
            sb.Append("wal_written_lsn:").Append(s.WrittenLsn).Append("\r\n");
            sb.Append("wal_flushed_lsn:").Append(s.FlushedLsn).Append("\r\n");
            sb.Append("snapshot_lsn:").Append(s.SnapshotLsn).Append("\r\n\r\n");
        }
        if (Want("replication"))
        {
            sb.Append("# Replication\r\n");
            if (s.Role == "primary")
            {
                sb.Append("role:master\r\n");
                var connected = s.Replicas.Where(r => r.State is "streaming" or "catching-up").ToList();
                sb.Append("connected_slaves:").Append(connected.Count).Append("\r\n");
                var i = 0;
                foreach (var r in connected)
                {
                    var member = node.Members.First(m => m.Id == r.NodeId);
                    sb.Append("slave").Append(i++).Append(":ip=").Append(member.Host).Append(",port=").Append(member.RespPort)
                        .Append(",state=online,offset=").Append(r.FlushLsn).Append(",lag=").Append((long)(r.LagMs / 1000)).Append("\r\n");
                }
            }
            else
            {
                sb.Append("role:slave\r\n");
                var primary = node.Members.FirstOrDefault(m => m.Id == s.PrimaryId);
                sb.Append("master_host:").Append(primary?.Host ?? "?").Append("\r\n");
                sb.Append("master_port:").Append(primary?.RespPort ?? 0).Append("\r\n");
                sb.Append("master_link_status:").Append(s.Upstream?.State == "streaming" ? "up" : "down").Append("\r\n");
                sb.Append("slave_repl_offset:").Append(s.FlushedLsn).Append("\r\n");
                sb.Append("slave_read_only:1\r\n");
            }
            sb.Append("master_repl_offset:").Append(s.Role == "primary" ? s.FlushedLsn : s.Upstream?.UpstreamFlushedLsn ?? 0).Append("\r\n");
            sb.Append("generation:").Append(s.Generation).Append("\r\n");
            sb.Append("applied_lsn:").Append(s.AppliedLsn).Append("\r\n");
            sb.Append("committed_lsn:").Append(s.CommittedLsn).Append("\r\n");
            sb.Append("durability:").Append(s.Durability).Append("\r\n");
            sb.Append("durability_degraded:").Append(s.Degraded ? 1 : 0).Append("\r\n\r\n");
        }
        return sb.ToString();
    }
}
