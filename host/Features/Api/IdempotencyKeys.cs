using System.Text.Json;
using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The <c>Idempotency-Key</c> request header (the IETF httpapi draft): read, checked, and scoped to the caller, so that a
/// start retried with it answers the first start's case (docs/api.md, "Retrying a start").
/// </summary>
internal static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";

    /// <summary>Set on an answer that repeats the first start's, so a client can tell a retry that started nothing.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>
    /// The start's idempotency, or null when the request has no key: the key from the header (an sf-string, <c>"…"</c>;
    /// a bare value is taken as it is), scoped to the caller, with a fingerprint of the request as the caller sent it.
    /// </summary>
    /// <exception cref="WorkflowInputException">The header is given twice, or its key is empty, too long or holds a control character.</exception>
    public static StartIdempotency? Of(HttpRequest request, Caller caller, object body)
    {
        var values = request.Headers[Header];
        if (values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1)
        {
            throw new WorkflowInputException($"{Header}: give the header once; this request has it {values.Count} times");
        }

        var key = Unquoted(values[0] ?? "");
        if (StartIdempotency.Problem(key) is { } problem)
        {
            throw new WorkflowInputException($"{Header}: the key {problem}");
        }

        return new StartIdempotency(key) { Scope = ScopeOf(caller), Fingerprint = Fingerprint(body) };
    }

    /// <summary>
    /// Whose keys these are: a customer's own, or a staff member's within the branch its token names, so one caller's key
    /// never reaches another's case (a customer's another customer's, an agent's another branch's).
    /// </summary>
    public static string ScopeOf(Caller caller) =>
        caller.Is(Roles.Customer) && !caller.Is(Roles.Agent) ? "customer:" + caller.CustomerId : $"staff:{caller.Branch}:{caller.Name}";

    // The request as bound (the same JSON gives the same digest), before the host adds anything of its own to it.
    private static string Fingerprint(object body) =>
        StartIdempotency.FingerprintOf(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType()));

    // An sf-string (RFC 8941 3.3.3): DQUOTE, characters with \" and \\ escaped, DQUOTE.
    private static string Unquoted(string value)
    {
        var trimmed = value.Trim(' ', '\t');
        if (trimmed.Length < 2 || trimmed[0] != '"' || trimmed[^1] != '"')
        {
            return trimmed;
        }

        var inner = trimmed[1..^1];
        var text = new System.Text.StringBuilder(inner.Length);
        for (var i = 0; i < inner.Length; i++)
        {
            if (inner[i] == '\\' && i + 1 < inner.Length && inner[i + 1] is '"' or '\\')
            {
                i++;
            }
            else if (inner[i] is '"' or '\\')
            {
                throw new WorkflowInputException($"{Header}: a quoted key escapes \" and \\ with a backslash (RFC 8941 sf-string)");
            }

            text.Append(inner[i]);
        }

        return text.ToString();
    }
}
