namespace AkkaRepl.Core.Config;

/// <summary>The JSON type of a simple HOCON value; numbers keep their text as written.</summary>
internal enum HoconScalarKind
{
    String,
    Number,
    Boolean,
    Null,
}
