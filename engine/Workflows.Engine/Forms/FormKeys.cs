using System.Text.RegularExpressions;

namespace Workflows.Engine.Forms;

/// <summary>
/// What form-js 1.23's editor accepts as a field's <c>key</c> or a group's <c>path</c> (its key and path entries), so
/// that a form the server takes is one form-js imports: a name or a dotted path of names made of ASCII letters, digits
/// and <c>_</c>, no segment only digits, none of <see cref="Prohibited"/> (the viewer throws "illegal key" on them and
/// the whole page that shows the form breaks).
/// </summary>
internal static partial class FormKeys
{
    /// <summary>The segments form-js refuses, which would reach an object's prototype in the page.</summary>
    public static readonly IReadOnlyList<string> Prohibited = ["__proto__", "prototype", "constructor"];

    /// <summary>Whether any dotted segment of <paramref name="key"/> is one of <see cref="Prohibited"/>.</summary>
    public static bool IsProhibited(string key) => key.Split('.').Any(s => Prohibited.Contains(s, StringComparer.Ordinal));

    /// <summary>What is wrong with <paramref name="key"/> as form-js's editor says it; null when nothing.</summary>
    public static string? Problem(string key) =>
        !DotPath().IsMatch(key) ? "is not a variable name or a dotted path of them (letters, digits and _)"
        : key.Split('.').Any(s => s.All(char.IsAsciiDigit)) ? "has a segment of digits only"
        : IsProhibited(key) ? $"has a prohibited segment ({string.Join(", ", Prohibited)})"
        : null;

    // form-js: /^\w+(\.\w+)*$/ with JavaScript's \w, which is ASCII only.
    [GeneratedRegex(@"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DotPath();
}

/// <summary>
/// Markup in a form's display components (<c>html</c>'s <c>content</c>, <c>text</c>'s markdown) that no page should be
/// handed: scripts, frames and other active elements, event-handler attributes (<c>onerror=</c>), and <c>javascript:</c>
/// addresses. form-js drops them when it renders, but only after parsing them in the live page, where the Content
/// Security Policy alone stops the handlers: such a form is refused at deploy, and the pages clean it before form-js sees it.
/// </summary>
internal static class FormContent
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    // Kept in step with host/web/lint/rules/form-checks.js (the designer's live check and the pages). Without
    // backtracking: a form's text is up to the model's size, and "<<<<…" must not cost the square of it.
    private static readonly Regex s_activeElement = new(@"<\s*(script|iframe|frame|frameset|object|embed|applet|base|meta|link|svg|math|form|input|button|textarea|select)\b", Options);
    private static readonly Regex s_handler = new(@"<[^<>]*[\s/""']on([a-z]+)\s*=", Options);
    private static readonly Regex s_scriptAddress = new(@"(javascript|vbscript)\s*:", Options);

    /// <summary>What active markup <paramref name="content"/> holds, in words; null when none.</summary>
    public static string? Problem(string content) =>
        s_activeElement.Match(content) is { Success: true } element ? $"a <{element.Groups[1].Value.ToLowerInvariant()}> element"
        : s_handler.Match(content) is { Success: true } handler ? $"an event handler (on{handler.Groups[1].Value.ToLowerInvariant()}=)"
        : s_scriptAddress.IsMatch(content) ? "a javascript: or vbscript: address"
        : null;
}
