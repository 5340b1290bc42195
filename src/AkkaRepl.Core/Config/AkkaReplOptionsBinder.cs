using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using Microsoft.Extensions.Configuration;

namespace AkkaRepl.Core.Config;

/// <summary>
/// Binds the <c>akkarepl</c> section of a configuration to <see cref="AkkaReplOptions"/> and validates it.
/// Keys are kebab-case HOCON keys (see <see cref="OptionKeys"/>). Unknown keys under <c>akkarepl</c>, values of the
/// wrong type, values out of their <see cref="OptionRangeAttribute"/> range and broken
/// <see cref="IValidatableOptions"/> rules are all collected and thrown together as one <see cref="ConfigException"/>.
/// </summary>
public static class AkkaReplOptionsBinder
{
    /// <summary>The HOCON root of every AkkaRepl key.</summary>
    public const string RootPath = "akkarepl";

    /// <summary>Binds and validates <c>akkarepl.*</c>; keys that are absent keep the record's defaults.</summary>
    /// <exception cref="ConfigException">Every problem found, one per line.</exception>
    public static AkkaReplOptions Bind(IConfiguration configuration) => Bind<AkkaReplOptions>(configuration, RootPath);

    /// <summary>Binds and validates any options record at a dotted path (for records that live outside <c>akkarepl</c>).</summary>
    /// <exception cref="ConfigException">Every problem found, one per line.</exception>
    public static T Bind<T>(IConfiguration configuration, string path) where T : class, new()
    {
        var errors = new List<string>();
        var binder = new OptionsBinder(errors, typeof(T), path);
        var result = (T)binder.BindRecord(typeof(T), configuration.GetSection(path.Replace('.', ':')), path);
        binder.Validate(result, path);
        if (errors.Count > 0)
            throw ConfigProblems.ToException(errors);
        return result;
    }

    /// <summary>Validates options built in code (ranges and cross-field rules), as binding would.</summary>
    /// <exception cref="ConfigException">Every problem found, one per line.</exception>
    public static void Validate(AkkaReplOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        new OptionsBinder(errors, typeof(AkkaReplOptions), RootPath).Validate(options, RootPath);
        if (errors.Count > 0)
            throw ConfigProblems.ToException(errors);
    }

    /// <summary>Every leaf key path of <see cref="AkkaReplOptions"/>, e.g. <c>akkarepl.wal.segment-size</c>.</summary>
    public static IReadOnlyList<string> AllKeyPaths() => OptionsBinder.AllPaths(typeof(AkkaReplOptions), RootPath).ToList();
}
