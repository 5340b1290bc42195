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
        if (exists && value is HoconSubstitution { Optional: true } optional)
        {
            // Chain to the end: a value merged from a lower layer is the fallback of the fallback.
            while (optional.Previous is HoconSubstitution { Optional: true } inner)
                optional = inner;
            optional.Previous ??= existing;
        }
        Set(key, value);
    }

    /// <summary>Merges every field of <paramref name="other"/> into this object; <paramref name="other"/> wins on conflicts.</summary>
    public void MergeFrom(HoconObject other)
    {
        foreach (var key in other.Keys)
            Merge(key, other[key]);
    }
}
