using System.Text;

namespace Workflows.Engine.Forms;

/// <summary>
/// A form field's pattern, written for the browser (form-js tests it with JavaScript's <c>new RegExp(pattern)</c>, no
/// flags), rewritten so that .NET matches what JavaScript matches where their dialects part: a value the form refuses
/// in the browser must be refused by the server too.
/// </summary>
/// <remarks>
/// The differences that let a value through: <c>$</c> also matches before a final newline in .NET (<c>"12345\n"</c>
/// against <c>^[0-9]{5}$</c>), <c>\d</c> and <c>\w</c> take every Unicode digit and letter in .NET and only ASCII in
/// JavaScript, and <c>.</c> takes a carriage return and the line and paragraph separators in .NET. Everything else a
/// form pattern uses (classes, groups, quantifiers, anchors, lookarounds) reads the same in both.
/// </remarks>
internal static class EcmaPattern
{
    public static string ToDotNet(string pattern)
    {
        var result = new StringBuilder(pattern.Length + 16);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var escaped = pattern[++i];
                result.Append((escaped, inClass) switch
                {
                    ('d', false) => "[0-9]",
                    ('D', false) => "[^0-9]",
                    ('w', false) => "[A-Za-z0-9_]",
                    ('W', false) => "[^A-Za-z0-9_]",
                    ('d', true) => "0-9",
                    ('w', true) => "A-Za-z0-9_",
                    _ => null,
                } ?? $"\\{escaped}");
                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
                result.Append(c);
                continue;
            }

            switch (c)
            {
                case '[':
                    inClass = true;
                    result.Append(c);
                    break;
                case '$':
                    result.Append(@"\z"); // JavaScript's $ without the m flag: the end of the text, nothing before a newline
                    break;
                case '.':
                    result.Append(@"[^\n\r\u2028\u2029]");
                    break;
                default:
                    result.Append(c);
                    break;
            }
        }

        return result.ToString();
    }
}
