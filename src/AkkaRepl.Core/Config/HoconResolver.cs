using System.Text;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Core.Config;

/// <summary>
/// Replaces every substitution in a parsed tree, after all layers are merged, so forward references work.
/// A path missing from the tree falls back to the environment variable named exactly as written
/// (<c>${HOME}</c>); a missing <c>${?path}</c> leaves its key unset. Cycles are reported with the chain of paths.
/// </summary>
internal sealed class HoconResolver
{
    private readonly HoconObject _root;
    private readonly Func<string, string?> _environment;
    private readonly List<string> _errors;
    private readonly List<HoconSubstitution> _active = new();
    private readonly HashSet<HoconNode> _done = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<HoconNode> _inProgress = new(ReferenceEqualityComparer.Instance);

    private HoconResolver(HoconObject root, Func<string, string?> environment, List<string> errors)
    {
        _errors = errors;
        _root = root;
        _environment = environment;
    }

    /// <summary>Resolves <paramref name="root"/> in place; throws one <see cref="ConfigException"/> listing every failed substitution.</summary>
    public static void Resolve(HoconObject root, Func<string, string?> environment)
    {
        var errors = new List<string>();
        Resolve(root, environment, errors);
        if (errors.Count > 0)
            throw ConfigProblems.ToException(errors);
    }

    /// <summary>Resolves what it can and adds a message per failed substitution; failed keys are left unset.</summary>
    public static void Resolve(HoconObject root, Func<string, string?> environment, List<string> errors) =>
        new HoconResolver(root, environment, errors).ResolveNode(root);

    // Returns the resolved node, or null when an optional substitution (or a failed one) leaves it unset.
    private HoconNode? ResolveNode(HoconNode node)
    {
        switch (node)
        {
            case HoconObject obj:
                if (_done.Contains(obj) || !_inProgress.Add(obj))
                    return obj;
                foreach (var key in obj.Keys.ToList())
                {
                    if (!obj.TryGet(key, out var value))
                        continue;
                    var resolved = ResolveNode(value);
                    if (resolved is null)
                        obj.Remove(key);
                    else if (!ReferenceEquals(resolved, value))
                        obj.Set(key, resolved);
                }
                _inProgress.Remove(obj);
                _done.Add(obj);
                return obj;
            case HoconArray array:
                if (_done.Contains(array) || !_inProgress.Add(array))
                    return array;
                for (var i = array.Items.Count - 1; i >= 0; i--)
                {
                    var resolved = ResolveNode(array.Items[i]);
                    if (resolved is null)
                        array.Items.RemoveAt(i);
                    else
                        array.Items[i] = resolved;
                }
                _inProgress.Remove(array);
                _done.Add(array);
                return array;
            case HoconSubstitution substitution:
                var errorsBefore = _errors.Count;
                var found = Lookup(substitution);
                // An undefined ${?x} leaves the field's earlier value in place, as HOCON says.
                if (found is null && !substitution.SelfReference && substitution.Previous is { } previous && _errors.Count == errorsBefore)
                    return ResolveNode(previous);
                return found;
            case HoconConcatenation concatenation:
                return Concatenate(concatenation);
            case HoconAppend append:
                return Append(append);
            default:
                return node;
        }
    }

    private HoconNode? Append(HoconAppend append)
    {
        var result = new HoconArray(append.Position);
        var earlier = append.Previous is null ? null : ResolveNode(append.Previous);
        if (earlier is HoconArray array)
            result.Items.AddRange(array.Items);
        else if (earlier is not null)
        {
            AddError($"{append.Position}: '{append.Key} +=' appends to an array, but {append.Key} holds {(earlier is HoconObject ? "an object" : "a value")}");
            return null;
        }
        if (ResolveNode(append.Element) is { } element)
            result.Items.Add(element);
        _done.Add(result);
        return result;
    }

    private HoconNode? Concatenate(HoconConcatenation concatenation)
    {
        var sb = new StringBuilder();
        foreach (var part in concatenation.Parts)
        {
            var value = part is HoconSubstitution s ? Lookup(s) : part;
            switch (value)
            {
                case null:
                    break; // missing optional or null: the empty string, as HOCON says
                case HoconScalar { Kind: HoconScalarKind.Null } when part is HoconSubstitution:
                    break;
                case HoconScalar scalar:
                    sb.Append(scalar.Text);
                    break;
                default:
                    AddError($"{part.Position}: {part} is {(value is HoconObject ? "an object" : "an array")} and cannot be joined with text");
                    return null;
            }
        }
        return new HoconScalar(sb.ToString(), HoconScalarKind.String, concatenation.Position);
    }

    private HoconNode? Lookup(HoconSubstitution substitution)
    {
        var index = _active.IndexOf(substitution);
        if (index >= 0)
        {
            var chain = _active.Skip(index).Append(substitution).Select(s => s.ToString());
            AddError($"{substitution.Position}: substitution cycle: {string.Join(" -> ", chain)}");
            return null;
        }
        _active.Add(substitution);
        try
        {
            // A self-reference means the field's earlier value; without one it looks outside the tree.
            if (substitution.SelfReference && substitution.Previous is { } previous)
                return ResolveNode(previous);
            if (substitution.SelfReference)
                return FromEnvironment(substitution);

            HoconNode? current = _root;
            foreach (var segment in substitution.Path)
            {
                if (current is not HoconObject obj || !obj.TryGet(segment, out var child))
                {
                    current = null;
                    break;
                }
                if (child.NeedsResolving)
                {
                    // Resolve only the field on the path, so an object may refer to its own other fields.
                    var errorsBefore = _errors.Count;
                    var resolved = ResolveNode(child);
                    if (resolved is null)
                    {
                        obj.Remove(segment);
                        if (_errors.Count > errorsBefore)
                            return null; // already reported (e.g. a cycle); do not add "not found" on top
                    }
                    else
                    {
                        obj.Set(segment, resolved);
                    }
                    child = resolved!;
                }
                current = child;
            }
            if (current is not null && _inProgress.Contains(current))
            {
                AddError($"{substitution.Position}: substitution cycle: {substitution} refers to '{substitution.Written}', which contains it");
                return null;
            }
            if (current is not null)
                return ResolveNode(current);

            return FromEnvironment(substitution);
        }
        finally
        {
            _active.Remove(substitution);
        }
    }

    private HoconNode? FromEnvironment(HoconSubstitution substitution)
    {
        var value = _environment(substitution.Written);
        if (value is not null)
            return new HoconScalar(value, HoconScalarKind.String, substitution.Position);
        if (!substitution.Optional)
            AddError($"{substitution.Position}: cannot resolve {substitution}: no such key in the configuration and no environment variable named '{substitution.Written}' (use ${{?{substitution.Written}}} if it may be missing)");
        return null;
    }

    private void AddError(string message)
    {
        if (!_errors.Contains(message))
            _errors.Add(message);
    }
}
