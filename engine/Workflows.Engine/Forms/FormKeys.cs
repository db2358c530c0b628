using System.Globalization;
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
    // A browser reads "jav&#x61;script:" and "java\tscript:" as javascript: (entities decoded, tabs, newlines and other
    // controls skipped inside the scheme): the scheme is matched with any of those between its letters, after decoding.
    private static readonly Regex s_scriptAddress = new($"({Spread("javascript")}|{Spread("vbscript")}){Gap}:", Options);
    private static readonly Regex s_entity = new(@"&(#x([0-9a-f]{1,6})|#([0-9]{1,7})|colon|tab|newline);?", Options);
    private const string Gap = @"[\x00-\x20]*";

    /// <summary>What active markup <paramref name="content"/> holds, in words; null when none.</summary>
    public static string? Problem(string content) =>
        s_activeElement.Match(content) is { Success: true } element ? $"a <{element.Groups[1].Value.ToLowerInvariant()}> element"
        : s_handler.Match(content) is { Success: true } handler ? $"an event handler (on{handler.Groups[1].Value.ToLowerInvariant()}=)"
        : s_scriptAddress.IsMatch(content) || s_scriptAddress.IsMatch(DecodeEntities(content)) ? "a javascript: or vbscript: address"
        : null;

    private static string Spread(string word) => string.Join(Gap, word.ToCharArray());

    // The character references a browser decodes in an attribute (numeric ones with or without their ';', and the named
    // ones that can spell a scheme's separator or hide a gap); the rest are left, as they cannot make a scheme.
    private static string DecodeEntities(string content) =>
        !content.Contains('&') ? content : s_entity.Replace(content, m =>
        {
            var code = m.Groups[2].Success ? int.Parse(m.Groups[2].ValueSpan, NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                : m.Groups[3].Success ? int.Parse(m.Groups[3].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture)
                : m.Groups[1].Value.ToLowerInvariant() switch { "colon" => ':', "tab" => '\t', _ => '\n' };
            return code is > 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF) ? char.ConvertFromUtf32(code) : "\uFFFD";
        });
}
