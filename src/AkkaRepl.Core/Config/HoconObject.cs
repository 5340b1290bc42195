namespace AkkaRepl.Core.Config;

/// <summary>A HOCON object. Fields keep the order they were first set in; a duplicate key merges or replaces as HOCON says.</summary>
internal sealed class HoconObject : HoconNode
{
    private readonly Dictionary<string, HoconNode> _fields = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();

    public HoconObject(SourcePosition position) : base(position) { }

    public IReadOnlyList<string> Keys => _order;

    public int Count => _order.Count;

    public bool TryGet(string key, out HoconNode value) => _fields.TryGetValue(key, out value!);

    public HoconNode this[string key] => _fields[key];

    /// <summary>Sets a field, replacing any earlier value (no merge).</summary>
    public void Set(string key, HoconNode value)
    {
        if (!_fields.ContainsKey(key))
            _order.Add(key);
        _fields[key] = value;
    }

    public void Remove(string key)
    {
        if (_fields.Remove(key))
            _order.Remove(key);
    }

    /// <summary>A duplicate key: two objects merge recursively, anything else is replaced by the later value.</summary>
    public void Merge(string key, HoconNode value)
    {
        var exists = TryGet(key, out var existing);
        if (value is HoconObject incoming && existing is HoconObject earlier)
        {
            earlier.MergeFrom(incoming);
            return;
        }
        if (exists)
            AttachPrevious(value, existing);
        Set(key, value);
    }

    /// <summary>Merges every field of <paramref name="other"/> into this object; <paramref name="other"/> wins on conflicts.</summary>
    public void MergeFrom(HoconObject other)
    {
        foreach (var key in other.Keys)
            Merge(key, other[key]);
    }

    // Gives each node that needs the field's earlier value (${?x}, a self-reference, +=) that value.
    // One already attached (an earlier assignment in the same file) passes it on down its own chain, so a
    // lower layer's value ends up as the fallback of the fallback.
    private static void AttachPrevious(HoconNode value, HoconNode existing)
    {
        IEnumerable<HoconSubstitution> slots = value switch
        {
            HoconSubstitution s when s.WantsPrevious => [s],
            HoconConcatenation c => c.Parts.OfType<HoconSubstitution>().Where(s => s.SelfReference),
            _ => [],
        };
        foreach (var slot in slots)
        {
            if (slot.Previous is null)
                slot.Previous = existing;
            else
                AttachPrevious(slot.Previous, existing);
        }
        if (value is HoconAppend append)
        {
            if (append.Previous is null)
                append.Previous = existing;
            else
                AttachPrevious(append.Previous, existing);
        }
    }
}
