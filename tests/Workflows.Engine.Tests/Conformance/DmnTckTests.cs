using Workflows.Engine.Decisions.Tck;

namespace Workflows.Engine.Tests.Conformance;

/// <summary>
/// The DMN TCK (../shared/conformance/dmn-tck): each test case of its test files is one NUnit case, named by its
/// folder and id, and passes when every result it expects is the one the engine gives. docs/dmn.md lists the cases
/// that do not pass yet, with their reasons; those are expected to fail here and are named in <see cref="KnownFailures"/>.
/// </summary>
public sealed class DmnTckTests
{
    private static string TckDirectory()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Workflows.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "conformance", "dmn-tck"));
            }
        }

        return "";
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        var directory = TckDirectory();
        if (!Directory.Exists(directory))
        {
            // Never a silent skip: without the material the suite fails and says where it looked.
            yield return new TestCaseData(null).SetName("The DMN TCK is present next to the repository");
            yield break;
        }

        foreach (var testCase in DmnTck.Discover(directory))
        {
            yield return new TestCaseData(testCase).SetName($"TCK {testCase}");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Gives_every_expected_result(DmnTckCase? testCase)
    {
        Assert.That(testCase, Is.Not.Null, $"the DMN TCK is expected in {TckDirectory()}");
        var results = DmnTck.Run(testCase!);
        var failed = results.Where(r => !r.Passed).ToList();
        if (KnownFailures.Contains(testCase!.ToString()))
        {
            Assert.That(failed, Is.Not.Empty, $"{testCase} passes now: remove it from the known failures and from docs/dmn.md");
            return;
        }

        Assert.That(failed, Is.Empty, string.Join(Environment.NewLine, failed));
    }

    /// <summary>The cases docs/dmn.md lists as failing, each with its reason there. Shrinks; never grows without a reason in the doc.</summary>
    private static readonly HashSet<string> KnownFailures = new(StringComparer.Ordinal)
    {
        "compliance-level-3/0089-nested-inputdata-imports 001",
        "compliance-level-3/1146-feel-context-put-function nested008",
    };
}
