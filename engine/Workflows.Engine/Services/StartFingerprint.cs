using System.Text;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Services;

/// <summary>
/// The default fingerprint of a start with an idempotency key: a digest of what the caller asked (process, version, branch,
/// business key and its uniqueness, variables), so that the same command sent again matches and another one does not.
/// </summary>
internal static class StartFingerprint
{
    public static string Of(StartInstance command, FeelContext variables)
    {
        // Fields apart by a NUL, which no stored text holds (StorableText), so that two fields cannot run into each other.
        var text = string.Join('\0', command.ProcessId, command.Version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", command.Branch ?? "",
            command.BusinessKey ?? "", command.UniqueBusinessKey ? "1" : "0", variables.Count == 0 ? "" : FeelConvert.ToJson(variables));
        return StartIdempotency.FingerprintOf(Encoding.UTF8.GetBytes(text));
    }
}
