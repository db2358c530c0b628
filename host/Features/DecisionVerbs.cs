using Workflows.Engine.Decisions;
using Workflows.Engine.Decisions.Tck;
using Workflows.Engine.Feel;

namespace Workflows.Host.Features;

/// <summary>The command line's DMN verbs: <c>decide</c> evaluates a decision of a file, <c>dmn-tck</c> runs the DMN TCK's test cases.</summary>
internal static class DecisionVerbs
{
    public static async Task<int> DecideAsync(string[] args, string directory, TextWriter output, TextWriter error)
    {
        if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new CommandLine.UsageException("decide needs a DMN file");
        }

        var decision = CommandLine.Option(args, "--decision") ?? throw new CommandLine.UsageException("decide needs --decision ID");
        var inputs = CommandLine.ContextOption(args);
        var path = Path.GetFullPath(args[1], directory);
        if (!File.Exists(path))
        {
            await error.WriteLineAsync($"{args[1]}: error: no such file ({path})");
            return 1;
        }

        var read = DecisionModel.Read(await File.ReadAllTextAsync(path));
        foreach (var f in read.Report.Findings)
        {
            await error.WriteLineAsync($"{args[1]}:{f.Line}:{f.Column}: {f.Severity.ToString().ToLowerInvariant()} {f.Code} [{f.ElementId ?? "-"}] {f.Message}");
        }

        if (read.Model is null)
        {
            return 1;
        }

        DecisionEvaluation result;
        try
        {
            result = read.Model.Decisions.Any(d => d.Id == decision || d.Name == decision) || !read.Model.DecisionServices.Any(d => d.Id == decision || d.Name == decision)
                ? read.Model.Evaluate(decision, inputs)
                : read.Model.EvaluateService(decision, inputs);
        }
        catch (KeyNotFoundException e)
        {
            await error.WriteLineAsync($"error: {e.Message}; its decisions are {string.Join(", ", read.Model.Decisions.Select(d => d.Id))}");
            return 1;
        }
        catch (FeelLimitExceededException e)
        {
            await error.WriteLineAsync($"error: the decision went over a FEEL budget ({e.Setting}): {e.Message}");
            return 1;
        }

        await output.WriteLineAsync(FeelConvert.ToJson(result.Value));
        foreach (var evaluated in result.Decisions.Where(d => d.MatchedRules.Count > 0))
        {
            await error.WriteLineAsync($"{evaluated.DecisionId}: matched rule(s) {string.Join(", ", evaluated.MatchedRules.Select(r => $"{r.Index} ({r.RuleId})"))}");
        }

        foreach (var warning in result.Warnings)
        {
            await error.WriteLineAsync($"warning: {warning}");
        }

        return 0;
    }

    public static async Task<int> TckAsync(string[] args, string directory, TextWriter output, TextWriter error)
    {
        if (args.Length < 2)
        {
            throw new CommandLine.UsageException("dmn-tck needs a folder");
        }

        var folder = Path.GetFullPath(args[1], directory);
        if (!Directory.Exists(folder))
        {
            await error.WriteLineAsync($"{args[1]}: error: no such folder ({folder})");
            return 1;
        }

        var results = new List<DmnTckResult>();
        foreach (var testCase in DmnTck.Discover(folder))
        {
            foreach (var result in DmnTck.Run(testCase))
            {
                results.Add(result);
                await output.WriteLineAsync(result.ToString());
            }
        }

        foreach (var (level, (passed, total)) in DmnTck.Summarise(results))
        {
            await output.WriteLineAsync($"{level}: {passed}/{total} passed");
        }

        await output.WriteLineAsync($"dmn-tck: {results.Count(r => r.Passed)}/{results.Count} passed");
        return results.All(r => r.Passed) ? 0 : 1;
    }
}
