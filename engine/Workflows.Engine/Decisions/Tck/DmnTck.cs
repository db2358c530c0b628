using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Decisions.Tck;

/// <summary>A test case of the DMN TCK: one <c>testCase</c> of a <c>*-test-01.xml</c> file, beside its model.</summary>
/// <param name="Folder">The folder of the model and test file, relative to the directory searched (<c>compliance-level-3/0020-vacation-days</c>).</param>
/// <param name="TestFile">The test file's full path.</param>
/// <param name="Id">The test case's id within its file.</param>
public sealed record DmnTckCase(string Folder, string TestFile, string Id)
{
    /// <summary>How results name the case: its folder and id.</summary>
    public override string ToString() => $"{Folder.Replace('\\', '/')} {Id}";
}

/// <summary>The outcome of one expected result of a test case.</summary>
/// <param name="Case">The test case.</param>
/// <param name="ResultNode">The decision (or service output) whose value was checked.</param>
/// <param name="Passed">Whether the value was the one expected.</param>
/// <param name="Detail">Expected and actual values, and the warnings of the evaluation, when it failed.</param>
public sealed record DmnTckResult(DmnTckCase Case, string ResultNode, bool Passed, string Detail)
{
    /// <summary>One line: PASS or FAIL, the case, the result node, and why it failed.</summary>
    public override string ToString() => $"{(Passed ? "PASS" : "FAIL")} {Case} {ResultNode}{(Passed ? "" : ": " + Detail)}";
}

/// <summary>
/// Finds and runs test cases in the DMN TCK's format (<c>*-test-*.xml</c> beside their <c>*.dmn</c> models): typed input
/// values, lists and components, expected values (nil for an expected error).
/// </summary>
/// <remarks>
/// Numbers compare exactly, except an expected value of 7 or more significant digits (or an <c>xsd:double</c>): it was
/// printed from a computation, often in binary floating point, and is met by a value less than one unit of its last
/// digit away, or within 1e-12 relative. Dates, times and durations compare as FEEL values; strings ordinally.
/// </remarks>
public static class DmnTck
{
    private static readonly XNamespace s_xsi = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>Every test case under <paramref name="directory"/>, in path and document order.</summary>
    public static IReadOnlyList<DmnTckCase> Discover(string directory)
    {
        var cases = new List<DmnTckCase>();
        foreach (var file in Directory.EnumerateFiles(directory, "*-test-*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var folder = Path.GetRelativePath(directory, Path.GetDirectoryName(file)!).Replace('\\', '/');
            foreach (var testCase in Load(file).Root!.Elements().Where(e => e.Name.LocalName == "testCase"))
            {
                cases.Add(new DmnTckCase(folder, file, (string?)testCase.Attribute("id") ?? "?"));
            }
        }

        return cases;
    }

    /// <summary>Runs one test case: each of its result nodes is a result.</summary>
    public static IReadOnlyList<DmnTckResult> Run(DmnTckCase testCase, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        var root = Load(testCase.TestFile).Root!;
        var ns = root.Name.Namespace;
        var element = root.Elements(ns + "testCase").First(e => ((string?)e.Attribute("id") ?? "?") == testCase.Id);
        var modelName = root.Element(ns + "modelName")?.Value.Trim() ?? "";
        var (model, problem) = Model(Path.Combine(Path.GetDirectoryName(testCase.TestFile)!, modelName));
        var results = new List<DmnTckResult>();
        var resultNodes = element.Elements(ns + "resultNode").ToList();
        if (model is null)
        {
            return resultNodes.Select(r => new DmnTckResult(testCase, (string?)r.Attribute("name") ?? "?", false, problem)).ToList();
        }

        var inputs = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var input in element.Elements(ns + "inputNode"))
        {
            inputs[(string?)input.Attribute("name") ?? ""] = Value(input, ns);
        }

        var isService = (string?)element.Attribute("type") == "decisionService";
        DecisionEvaluation? service = null;
        foreach (var node in resultNodes)
        {
            var name = (string?)node.Attribute("name") ?? "";
            var expectedNode = node.Element(ns + "expected");
            var expected = expectedNode is null ? null : Value(expectedNode, ns);
            object? actual;
            IReadOnlyList<string> warnings;
            try
            {
                if (isService)
                {
                    service ??= model.EvaluateService((string?)element.Attribute("invocableName") ?? "", inputs, time);
                    actual = service.Decisions.LastOrDefault(d => d.Name == name)?.Value ?? (name == service.Id ? service.Value : null);
                    warnings = service.Warnings;
                }
                else
                {
                    var evaluation = model.Evaluate(name, inputs, time);
                    (actual, warnings) = (evaluation.Value, evaluation.Warnings);
                }
            }
            catch (Exception e) when (e is KeyNotFoundException or FeelLimitExceededException)
            {
                (actual, warnings) = (null, [e.Message]);
            }

            var passed = Same(expected, actual, Doubles(expectedNode));
            var detail = passed ? "" : $"expected {FeelValue.ToDisplayString(expected)}, got {FeelValue.ToDisplayString(actual)}"
                + (warnings.Count > 0 ? $" ({string.Join("; ", warnings.Take(3))})" : "");
            results.Add(new DmnTckResult(testCase, name, passed, detail));
        }

        return results;
    }

    private static readonly Dictionary<string, (DecisionModel?, string)> s_models = new(StringComparer.Ordinal);
    private static readonly Lock s_lock = new();

    private static (DecisionModel? Model, string Problem) Model(string path)
    {
        lock (s_lock)
        {
            if (!s_models.TryGetValue(path, out var entry))
            {
                if (!File.Exists(path))
                {
                    entry = (null, $"no model {Path.GetFileName(path)}");
                }
                else
                {
                    var read = DecisionModel.Read(File.ReadAllText(path));
                    entry = (read.Model, read.Model is null ? string.Join("; ", read.Report.Errors) : "");
                }

                s_models[path] = entry;
            }

            return entry;
        }
    }

    private static XDocument Load(string path)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var reader = XmlReader.Create(path, settings);
        return XDocument.Load(reader);
    }

    // Whether the expected value holds an xsd:double anywhere: binary floating point, compared to 13 digits.
    private static bool Doubles(XElement? expected) =>
        expected is not null && expected.Descendants().Any(e => ((string?)e.Attribute(s_xsi + "type"))?.EndsWith(":double", StringComparison.Ordinal) == true);

    /// <summary>A TCK value: a typed value, a list of items, or components (a context); nil is null.</summary>
    private static object? Value(XElement node, XNamespace ns)
    {
        if (node.Element(ns + "value") is { } value)
        {
            return Scalar(value);
        }

        if (node.Element(ns + "list") is { } list)
        {
            return list.Elements(ns + "item").Select(i => Value(i, ns)).ToList();
        }

        var components = node.Elements(ns + "component").ToList();
        if (components.Count > 0)
        {
            var context = new FeelContext(components.Count);
            foreach (var c in components)
            {
                context[(string?)c.Attribute("name") ?? ""] = Value(c, ns);
            }

            return context;
        }

        return null;
    }

    private static object? Scalar(XElement value)
    {
        if ((string?)value.Attribute(s_xsi + "nil") == "true")
        {
            return null;
        }

        var type = (string?)value.Attribute(s_xsi + "type") ?? "";
        type = type[(type.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var text = value.Value;
        return type switch
        {
            "decimal" or "double" or "integer" or "int" or "long" or "float" => Number(text),
            "boolean" => text.Trim() == "true",
            "date" => FeelBuiltins.ParseDate(text.Trim()),
            "dateTime" => FeelBuiltins.ParseDateTime(text.Trim()),
            "time" => FeelBuiltins.ParseTime(text.Trim()),
            "duration" => FeelBuiltins.ParseDuration(text.Trim()),
            _ => text,
        };
    }

    private static decimal? Number(string text) =>
        decimal.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
        : double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) && Math.Abs(x) < 7.9e28 ? (decimal)x : null;

    private static bool Same(object? expected, object? actual, bool doubles)
    {
        switch (expected, actual)
        {
            case (null, _):
                return actual is null;
            case (decimal a, decimal b):
                return a == b || Close(a, b, doubles);
            case (List<object?> a, List<object?> b):
                return a.Count == b.Count && a.Zip(b).All(p => Same(p.First, p.Second, doubles));
            case (FeelContext a, FeelContext b):
                return a.Count == b.Count && a.All(e => b.ContainsKey(e.Key) && Same(e.Value, b[e.Key], doubles));
            case (string a, string b):
                return string.Equals(a, b, StringComparison.Ordinal);
            default:
                return FeelValue.TypeName(expected) == FeelValue.TypeName(actual) && FeelValue.AreEqual(expected, actual) == true;
        }
    }

    // An expected value of 7 significant digits or more was printed from a computation, often in binary floating
    // point and rounded or cut (0008's 562.707359373292, where the exact value is 562.70735937326592…; 0076's
    // cos(123) as -0.88796890 for -0.8879689066…): it is met by a value less than one unit of its last digit away,
    // or within 1e-12 of it relative. Shorter values are met exactly.
    private static bool Close(decimal expected, decimal actual, bool doubles)
    {
        var digits = Digits(expected);
        if (digits < 7 && !doubles)
        {
            return false;
        }

        var unit = Pow10(-expected.Scale);
        return Math.Abs(expected - actual) < Math.Max(unit, Math.Abs(expected) * 1e-12m);
    }

    private static int Digits(decimal value)
    {
        var text = Math.Abs(value).ToString(CultureInfo.InvariantCulture).Replace(".", "", StringComparison.Ordinal).TrimStart('0');
        return text.Length;
    }

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < -exponent; i++)
        {
            result /= 10;
        }

        return result;
    }

    /// <summary>The pass rate per top folder (<c>compliance-level-2</c>…): passed and total results.</summary>
    public static IReadOnlyDictionary<string, (int Passed, int Total)> Summarise(IEnumerable<DmnTckResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results.GroupBy(r => r.Case.Folder.Split('/')[0], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (g.Count(r => r.Passed), g.Count()), StringComparer.Ordinal);
    }
}
