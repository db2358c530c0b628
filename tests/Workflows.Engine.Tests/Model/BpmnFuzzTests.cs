using System.Xml.Linq;
using CsCheck;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Validation;
using Workflows.Engine.Tests.Feel;

namespace Workflows.Engine.Tests.Model;

/// <summary>
/// Random and mutated BPMN never crashes the reader: parsing reports findings, validation a report, deployment deploys
/// or refuses with <see cref="DeploymentRejectedException"/>, and a start of what deployed runs within its budgets or
/// fails with a documented workflow exception; no case runs for long. The corpus is the journey library and the MIWG
/// reference models.
/// </summary>
public sealed class BpmnFuzzTests
{
    private static readonly string[] s_values =
    [
        "", " ", "0", "-1", "1e400", "99999999999999999999999999999", "abc", "a b", "=", "= 1 +", "=x", "=null", "=[1,2,3]",
        "=for x in 1..100000000 return x", "=(function(f) f(f))(function(f) f(f))", "=string length(\"x\") > 0", "=date(\"9999-12-31\")",
        "PT0S", "PT0.001S", "PT1S", "-PT1S", "P1D", "P10675199D", "R/PT1S", "R0/PT1S", "R-1/PT1S", "R999999999/PT0.001S",
        "2024-13-45T99:00:00Z", "2024-02-29T10:00:00Z", "0 0 * * * ?", "true", "false", "${a}", "#{a}", "=cycle(3, duration(\"PT1H\"))",
        "=ctx.missing.deeper", "sequential", "parallel", "none", "body", "both", "5", "2 business days", "PT16H working",
        new string('x', 3000), "\u00e9\u4e2d\ud83d\ude00", "bpmn:tFormalExpression", "start", "end", "task", "flow",
    ];

    private static readonly string[] s_rawTokens =
    [
        "<", ">", "/>", "</bpmn:process>", "<bpmn:task id=\"t\"/>", "&amp;", "&lt;", "&#0;", "&#x110000;", "<![CDATA[x]]>", "\"", "'", "=",
        "<!DOCTYPE x [<!ENTITY e \"e\">]>", "<?xml version=\"1.0\"?>", "xmlns:bpmn=\"x\"", "\u0000", "\ufffe", "\r\n", " id=\"dup\"",
    ];

    private static readonly Lazy<IReadOnlyList<string>> s_corpus = new(LoadCorpus);

    // Tighter than the defaults so that each case is quick; the budgets' behaviour is the same.
    private static readonly FeelLimits s_feel = new() { MaxSteps = 200_000, MaxCollectionSize = 20_000, MaxStringLength = 200_000, RegexTimeout = TimeSpan.FromMilliseconds(50) };

    [Test]
    public void The_corpus_holds_the_journeys_and_the_MIWG_models() =>
        Assert.That(s_corpus.Value, Has.Count.GreaterThanOrEqualTo(40), "the five journeys and the MIWG reference models were found");

    [Test]
    public void Mutated_models_are_read_validated_and_deployed_or_refused_with_their_findings()
    {
        var corpus = s_corpus.Value;
        var mutation = from index in Gen.Int[0, corpus.Count - 1]
                       from steps in Gen.Select(Gen.Int[0, 6], Gen.Int[0, 1_000_000], Gen.Int[0, 1_000_000], Gen.Int[0, s_values.Length - 1]).Array[1, 4]
                       select Mutate(corpus[index], steps);

        Assert.DoesNotThrow(() => mutation.Sample(ReadSafely, iter: Fuzzing.Iterations(600), threads: 1, print: Fuzzing.Shorten));
    }

    [Test]
    public void Mutated_text_of_the_models_is_read_or_refused_with_findings()
    {
        var corpus = s_corpus.Value;
        var mutation = from index in Gen.Int[0, corpus.Count - 1]
                       from position in Gen.Int[0, 1_000_000]
                       from kind in Gen.Int[0, 3]
                       from token in Gen.OneOf(s_rawTokens)
                       select MutateText(corpus[index], position, kind, token);

        Assert.DoesNotThrow(() => mutation.Sample(ReadSafely, iter: Fuzzing.Iterations(500), threads: 1, print: Fuzzing.Shorten));
    }

    [Test]
    public void Random_text_is_refused_with_findings() =>
        Assert.DoesNotThrow(() => Gen.String.Sample(ReadSafely, iter: Fuzzing.Iterations(400), threads: 1, print: Fuzzing.Shorten));

    /// <summary>Parse, validate, deploy and start: each may refuse in its documented way, nothing else.</summary>
    private static void ReadSafely(string xml) => Fuzzing.Timed(xml, () =>
    {
        var options = new BpmnParserOptions { Feel = s_feel };
        var (document, findings) = BpmnParser.Parse(xml, options);
        Assert.That(findings.All(f => f.Message.Length > 0), Is.True, "every finding says what is wrong");
        Assert.That(document is not null || findings.Count > 0, Is.True, "a document that is not read has a finding saying why");

        var engine = new WorkflowEngine(new WorkflowEngineOptions { Parser = options, Limits = { MaxElementsPerCommand = 2_000 } });
        var report = engine.Deployments.ValidateAsync(xml).GetAwaiter().GetResult();
        DeploymentResult deployed;
        try
        {
            deployed = engine.Deployments.DeployAsync(xml).GetAwaiter().GetResult();
        }
        catch (DeploymentRejectedException rejected)
        {
            Assert.That(rejected.Report.HasErrors || document is null, Is.True, "a refusal has an error");
            return;
        }

        Assert.That(report.HasErrors, Is.False, "what deploys validated without errors");
        foreach (var process in deployed.Processes)
        {
            try
            {
                _ = engine.Runtime.StartAsync(new StartInstance(process.ProcessId)).GetAwaiter().GetResult();
            }
            catch (WorkflowException)
            {
                // documented: no none start event, input refused, ...
            }
        }
    });

    private static string Mutate(string xml, (int Kind, int A, int B, int Value)[] steps)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(xml, LoadOptions.SetLineInfo);
        }
        catch (System.Xml.XmlException)
        {
            return xml;
        }

        foreach (var (kind, a, b, value) in steps)
        {
            var elements = document.Root!.Descendants().ToList();
            if (elements.Count == 0)
            {
                break;
            }

            var element = elements[a % elements.Count];
            var other = elements[b % elements.Count];
            var attributes = element.Attributes().ToList();
            switch (kind)
            {
                case 0:
                    element.Remove();
                    break;
                case 1:
                    element.AddAfterSelf(new XElement(element)); // a copy: duplicate ids and flows
                    break;
                case 2 when attributes.Count > 0:
                    attributes[b % attributes.Count].Remove();
                    break;
                // A namespace declaration given another value can make a document XLinq cannot write; it is kept.
                case 3 when attributes.Count > 0 && !attributes[b % attributes.Count].IsNamespaceDeclaration:
                    attributes[b % attributes.Count].Value = Value(value, other);
                    break;
                case 4 when !element.HasElements:
                    element.Value = Value(value, other);
                    break;
                case 5 when !other.DescendantsAndSelf().Contains(element) && !element.DescendantsAndSelf().Contains(other):
                    element.Remove();
                    other.Add(element); // moved under another element
                    break;
                default:
                    element.SetAttributeValue(XName.Get(s_attributeNames[b % s_attributeNames.Length]), Value(value, other));
                    break;
            }
        }

        return document.ToString();
    }

    private static readonly string[] s_attributeNames = ["id", "name", "sourceRef", "targetRef", "attachedToRef", "default", "isExecutable", "cancelActivity", "calledElement", "messageRef", "signalRef", "errorRef", "isInterrupting", "completionQuantity"];

    // A value from the list, or another element's id so references point somewhere unexpected.
    private static string Value(int value, XElement other) =>
        value % 5 == 0 && (string?)other.Attribute("id") is { } id ? id : s_values[value % s_values.Length];

    private static string MutateText(string text, int position, int kind, string token)
    {
        var at = text.Length == 0 ? 0 : position % (text.Length + 1);
        return kind switch
        {
            0 => text.Insert(at, token),
            1 when at < text.Length => text.Remove(at, Math.Min(1 + (position % 50), text.Length - at)),
            2 => text[..at], // truncated
            _ => at < text.Length ? text.Remove(at, 1).Insert(at, token[..1]) : text + token,
        };
    }

    private static List<string> LoadCorpus()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Workflows.sln")))
            {
                var journeys = Directory.EnumerateFiles(Path.Combine(dir.FullName, "processes"), "*.bpmn", SearchOption.AllDirectories)
                    .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
                var miwg = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "conformance", "miwg"));
                var models = Directory.Exists(miwg) ? Directory.EnumerateFiles(miwg, "*.bpmn", SearchOption.AllDirectories) : [];
                return [.. journeys.Concat(models).Order(StringComparer.Ordinal).Select(File.ReadAllText)];
            }
        }

        return [];
    }
}
