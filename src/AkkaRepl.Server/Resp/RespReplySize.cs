using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>About how many bytes a reply takes on the wire (a little over, never under for ASCII text): what the
/// pending-reply limit counts. Computing it never allocates.</summary>
internal static class RespReplySize
{
    public static long Of(KvReply reply)
    {
        switch (reply.Kind)
        {
            case KvReplyKind.Simple:
            case KvReplyKind.Error:
                return reply.Text!.Length + 3;
            case KvReplyKind.Integer:
                return 23;
            case KvReplyKind.Bulk:
                return reply.BulkLength + 16;
            default:
                if (reply.Items is null) return 5;
                var total = 16L;
                for (var i = 0; i < reply.Items.Count; i++) total += Of(reply.Items[i]);
                return total;
        }
    }
}
