using System.Globalization;
using System.Text;

namespace Workflows.Engine.Feel;

/// <summary>
/// External functions (<c>function(a, b) external {java: {class: "java.lang.Math", method signature: "max(double, double)"}}</c>
/// and DMN's <c>kind="Java"</c>): no Java runs here, but the pure static methods of <c>java.lang</c> that models call
/// (Math's, the boxed numbers' and String's <c>valueOf</c>, <c>String.format</c>) are carried out in .NET. Any other
/// method is null with a warning; nothing reaches reflection, the file system or the network.
/// </summary>
internal static class FeelExternal
{
    private static readonly Dictionary<string, Func<double, double>> s_math1 = new(StringComparer.Ordinal)
    {
        ["abs"] = Math.Abs, ["acos"] = Math.Acos, ["asin"] = Math.Asin, ["atan"] = Math.Atan, ["cbrt"] = Math.Cbrt,
        ["ceil"] = Math.Ceiling, ["cos"] = Math.Cos, ["cosh"] = Math.Cosh, ["exp"] = Math.Exp, ["floor"] = Math.Floor,
        ["log"] = Math.Log, ["log10"] = Math.Log10, ["rint"] = Math.Round, ["signum"] = x => Math.Sign(x), ["sin"] = Math.Sin,
        ["sinh"] = Math.Sinh, ["sqrt"] = Math.Sqrt, ["tan"] = Math.Tan, ["tanh"] = Math.Tanh,
        ["toDegrees"] = x => x * 180 / Math.PI, ["toRadians"] = x => x * Math.PI / 180,
    };

    private static readonly Dictionary<string, Func<double, double, double>> s_math2 = new(StringComparer.Ordinal)
    {
        ["max"] = Math.Max, ["min"] = Math.Min, ["pow"] = Math.Pow, ["atan2"] = Math.Atan2, ["hypot"] = (x, y) => Math.Sqrt((x * x) + (y * y)),
    };

    private static readonly HashSet<string> s_numeric = ["double", "float", "int", "long", "short", "byte"];

    /// <summary>A function for an external definition: the context holding <c>java</c> (FEEL) or the Java context itself (DMN's boxed form).</summary>
    public static FeelFunction Make(string name, IReadOnlyList<string> parameters, object? definition)
    {
        var java = definition is FeelContext outer && outer["java"] is FeelContext inner ? inner : definition as FeelContext;
        var type = java?["class"] as string;
        var signature = java?["method signature"] as string;
        return new FeelFunction(name, parameters, (ev, args) =>
        {
            if (type is null || signature is null || Parse(signature) is not { } method)
            {
                return ev.Invalid($"'{name}' is an external function without a class and a method signature");
            }

            if (method.Types.Count != args.Count && !method.Types.LastOrDefault("").StartsWith('['))
            {
                return ev.Invalid($"'{name}' takes {method.Types.Count} argument(s), not {args.Count}");
            }

            return Invoke(type, method.Name, method.Types, args) ?? ev.Invalid($"{type}.{signature} is not an external function this engine carries out");
        });
    }

    private static (string Name, List<string> Types)? Parse(string signature)
    {
        var open = signature.IndexOf('(', StringComparison.Ordinal);
        if (open <= 0 || !signature.EndsWith(')'))
        {
            return null;
        }

        var types = signature[(open + 1)..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return (signature[..open].Trim(), types);
    }

    private static object? Invoke(string type, string method, List<string> types, IReadOnlyList<object?> args)
    {
        var numeric = types.All(s_numeric.Contains);
        switch (type, method)
        {
            case ("java.lang.Math", _) when numeric && args.Count == 1 && args[0] is decimal x && s_math1.TryGetValue(method, out var f1):
                return Number(f1((double)x), types[0]);
            case ("java.lang.Math", _) when numeric && args.Count == 2 && args[0] is decimal x && args[1] is decimal y && s_math2.TryGetValue(method, out var f2):
                return Number(f2((double)x, (double)y), types[0]);
            case ("java.lang.Short" or "java.lang.Byte" or "java.lang.Integer" or "java.lang.Long", "valueOf" or "parseShort" or "parseByte" or "parseInt" or "parseLong"):
                return args.Count == 1 ? args[0] switch
                {
                    decimal d when numeric => decimal.Truncate(d),
                    string s when types is ["java.lang.String"] && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => (decimal)l,
                    _ => null,
                } : null;
            case ("java.lang.Float" or "java.lang.Double", "valueOf" or "parseFloat" or "parseDouble"):
                return args.Count == 1 ? args[0] switch
                {
                    decimal d when numeric => d,
                    string s when types is ["java.lang.String"] && decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) => n,
                    _ => null,
                } : null;
            case ("java.lang.String", "valueOf") when args.Count == 1:
                return types is ["char"] ? args[0] is string { Length: 1 } c ? c : null : FeelValue.ToFeelString(args[0]);
            case ("java.lang.String", "format") when args.Count >= 1 && args[0] is string format:
                return Format(format, args.Skip(1).ToList());
            default:
                return null;
        }
    }

    // A double result as a number; an integral signature (max(int, int)) gives a whole number.
    private static decimal? Number(double value, string type) =>
        !double.IsFinite(value) || Math.Abs(value) >= 7.9e28 ? null : type is "int" or "long" or "short" or "byte" ? decimal.Truncate((decimal)value) : (decimal)value;

    // String.format's %s and %d, which is what models use; anything else leaves the format unmatched (null).
    private static string? Format(string format, List<object?> args)
    {
        var sb = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }

            var conversion = format[++i];
            switch (conversion)
            {
                case '%':
                    sb.Append('%');
                    break;
                case 'n':
                    sb.Append('\n');
                    break;
                case 's' or 'd' when next < args.Count:
                    sb.Append(FeelValue.ToFeelString(args[next++]) ?? "null");
                    break;
                default:
                    return null;
            }
        }

        return sb.ToString();
    }
}
