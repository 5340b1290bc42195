namespace AkkaRepl.Core.Options;

/// <summary>
/// An options record that checks rules across its fields (ranges of single fields are
/// <see cref="OptionRangeAttribute"/>s). Called after the record is bound, only if its own fields bound cleanly.
/// </summary>
public interface IValidatableOptions
{
    /// <summary>Adds one message per broken rule to <paramref name="context"/>; never throws for bad values.</summary>
    void Validate(OptionsValidationContext context);
}
