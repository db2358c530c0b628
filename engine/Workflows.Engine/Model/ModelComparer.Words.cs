using System.Text;
using System.Text.RegularExpressions;

namespace Workflows.Engine.Model;

internal static partial class ModelComparer
{
    /// <summary>The words of a comparison: element kinds, property labels and change sentences an analyst reads.</summary>
    private sealed partial class Words(Dictionary<string, string> beforeNames, Dictionary<string, string> afterNames)
    {
        private const int MaxValueInText = 120;

        // Attributes whose value is another element's id: said by that element's name.
        private static readonly HashSet<string> References = new(StringComparer.Ordinal) { "@sourceRef", "@targetRef", "@attachedToRef", "@default", "@processRef" };

        // Whole paths an analyst knows by another name than their parts.
        private static readonly Dictionary<string, string> KnownPaths = new(StringComparer.Ordinal)
        {
            ["wf:sla@target"] = "SLA",
            ["wf:sla@warnings"] = "SLA warnings",
            ["wf:sla@calendar"] = "SLA calendar",
            ["zeebe:taskDefinition@type"] = "job type",
            ["zeebe:taskDefinition@retries"] = "job retries",
            ["wf:taskDefinition@type"] = "task type",
            ["wf:taskDefinition@retries"] = "task retries",
            ["wf:taskDefinition@external"] = "runs on a worker",
            ["wf:userTask@candidateGroups"] = "queues",
            ["wf:userTask@assignee"] = "assignee",
            ["wf:userTask@priority"] = "priority",
            ["zeebe:assignmentDefinition@candidateGroups"] = "candidate groups",
            ["zeebe:assignmentDefinition@assignee"] = "assignee",
            ["zeebe:calledElement@processId"] = "called process",
            ["@calledElement"] = "called element",
            ["conditionExpression"] = "condition",
            ["@default"] = "default flow",
            ["@messageRef"] = "message",
            ["messageEventDefinition@messageRef"] = "message",
            ["signalEventDefinition@signalRef"] = "signal",
            ["errorEventDefinition@errorRef"] = "error",
            ["escalationEventDefinition@escalationRef"] = "escalation",
            ["zeebe:subscription@correlationKey"] = "correlation key",
            ["timerEventDefinition/timeDuration"] = "timer duration",
            ["timerEventDefinition/timeDate"] = "timer date",
            ["timerEventDefinition/timeCycle"] = "timer cycle",
            ["multiInstanceLoopCharacteristics"] = "multi-instance",
            ["multiInstanceLoopCharacteristics@isSequential"] = "multi-instance sequential",
            ["multiInstanceLoopCharacteristics/loopCardinality"] = "multi-instance cardinality",
            ["multiInstanceLoopCharacteristics/completionCondition"] = "multi-instance completion condition",
            ["@attachedToRef"] = "boundary of",
            ["@cancelActivity"] = "interrupting",
            ["@isInterrupting"] = "interrupting",
            ["@sourceRef"] = "source",
            ["@targetRef"] = "target",
            ["@processRef"] = "process",
            ["@isExecutable"] = "executable",
            ["@versionTag"] = "version tag",
            ["text"] = "text",
        };

        private static readonly Dictionary<string, string> KnownSegments = new(StringComparer.Ordinal)
        {
            ["sla"] = "SLA", ["escalate"] = "escalation", ["commitment"] = "commitment", ["parameter"] = "parameter", ["form"] = "form",
            ["field"] = "field", ["taskDefinition"] = "job", ["ioMapping"] = "mapping", ["input"] = "input", ["output"] = "output",
            ["loopCharacteristics"] = "loop", ["zeebe:properties"] = "properties",
        };

        public static string Kind(string type)
        {
            var words = CamelCase().Replace(type, " $1").ToLowerInvariant();
            return char.ToUpperInvariant(words[0]) + words[1..];
        }

        public static string Label(ElementShape element) => $"{Kind(element.Type)} '{Display(element)}'";

        private static string Display(ElementShape element) => string.IsNullOrWhiteSpace(element.Name) ? element.Id : element.Name;

        private string Named(string id, bool before) =>
            (before ? beforeNames.GetValueOrDefault(id) ?? afterNames.GetValueOrDefault(id) : afterNames.GetValueOrDefault(id) ?? beforeNames.GetValueOrDefault(id)) ?? id;

        public static string Element(ElementShape before, ElementShape after, List<PropertyChange> changes)
        {
            var rename = changes.FirstOrDefault(c => c.Property == "@name");
            var rest = changes.Where(c => c != rename).Select(c => c.Text).ToList();
            var head = rename is not null ? rename.Text : $"{Label(before)} changed";
            return rest.Count == 0 ? head : $"{head}: {string.Join("; ", rest)}";
        }

        public PropertyChange Change(ElementShape element, string key, string? before, string? after)
        {
            var aspect = AspectOf(key);
            var text = key switch
            {
                "@name" => before is null ? $"{Kind(element.Type)} '{element.Id}' named '{after}'"
                    : after is null ? $"{Kind(element.Type)} '{before}' unnamed" : $"{Kind(element.Type)} '{before}' renamed to '{after}'",
                "$lane" => before is null ? $"put in lane '{Named(after!, false)}'"
                    : after is null ? $"taken out of lane '{Named(before, true)}'" : $"moved from lane '{Named(before, true)}' to lane '{Named(after, false)}'",
                "$parent" => before is null ? $"moved into '{Named(after!, false)}'"
                    : after is null ? $"moved out of '{Named(before, true)}'" : $"moved from '{Named(before, true)}' into '{Named(after, false)}'",
                _ when FlowKey().Match(key) is { Success: true } flow => FlowText(flow.Groups["kind"].Value, flow.Groups["dir"].Value, flow.Groups["id"].Value, before, after),
                _ when References.Contains(key) => Sentence(Property(key), before is null ? null : $"'{Named(before, true)}'", after is null ? null : $"'{Named(after, false)}'"),
                _ => Sentence(Property(key), before, after),
            };
            return new PropertyChange(aspect, key, before, after, text);
        }

        /// <summary>A setting added or removed whole, its attributes as its value.</summary>
        public static PropertyChange Whole(string path, ChangeAspect aspect, string? before, string? after)
        {
            var label = Property(path);
            var text = char.ToUpperInvariant(label[0]) + label[1..] + (before is null ? $" added ({Short(after!)})" : $" removed (was {Short(before)})");
            return new PropertyChange(aspect, path, before, after, text);
        }

        private string FlowText(string kind, string direction, string other, string? before, string? after)
        {
            var name = Named(other, after is null);
            var what = (kind, direction) switch
            {
                ("flow", "to") => ("flows to", "sequence flow"),
                ("flow", _) => ("reached from", "sequence flow"),
                ("message", "to") => ("sends a message to", "message flow"),
                _ => ("receives a message from", "message flow"),
            };
            return before is null ? $"now {what.Item1} '{name}'"
                : after is null ? $"no longer {what.Item1} '{name}'"
                : $"{what.Item1} '{name}' through {what.Item2} {after} instead of {before}";
        }

        private static string Sentence(string label, string? before, string? after)
        {
            var upper = char.ToUpperInvariant(label[0]) + label[1..];
            return before is null ? $"{upper} set to {Short(after!)}"
                : after is null ? $"{upper} removed (was {Short(before)})"
                : $"{upper} changed from {Short(before)} to {Short(after)}";
        }

        private static string Short(string value)
        {
            var flat = string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            return flat.Length <= MaxValueInText ? flat : string.Concat(flat.AsSpan(0, MaxValueInText), "…");
        }

        private static ChangeAspect AspectOf(string key)
        {
            if (key is "$lane" or "$parent" || FlowKey().IsMatch(key))
            {
                return ChangeAspect.Flow;
            }

            if (key.Contains("wf:form", StringComparison.Ordinal) || key.Contains("zeebe:formDefinition", StringComparison.Ordinal) || key.Contains("zeebe:userTaskForm", StringComparison.Ordinal))
            {
                return ChangeAspect.Form;
            }

            return key.Contains(':', StringComparison.Ordinal) ? ChangeAspect.Extension : ChangeAspect.Attribute;
        }

        // "wf:form/wf:field[amount]@label" → "form field 'amount' label"; known paths by their own names.
        private static string Property(string key)
        {
            if (KnownPaths.TryGetValue(key, out var known))
            {
                return known;
            }

            var text = new StringBuilder();
            var attribute = key.LastIndexOf('@');
            var elementPath = attribute >= 0 ? key[..attribute] : key;
            foreach (var segment in elementPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                var match = Indexed().Match(segment);
                var name = match.Success ? segment[..match.Index] : segment;
                var local = name[(name.IndexOf(':', StringComparison.Ordinal) + 1)..];
                var words = KnownSegments.GetValueOrDefault(name) ?? KnownSegments.GetValueOrDefault(local) ?? CamelCase().Replace(local, " $1").ToLowerInvariant();
                if (text.Length > 0)
                {
                    text.Append(' ');
                }

                text.Append(words);
                if (match.Success)
                {
                    text.Append(" '").Append(match.Groups["key"].Value).Append('\'');
                }
            }

            if (attribute >= 0)
            {
                var attributeName = key[(attribute + 1)..];
                var local = attributeName[(attributeName.IndexOf(':', StringComparison.Ordinal) + 1)..];
                text.Append(text.Length > 0 ? " " : "").Append(CamelCase().Replace(local, " $1").ToLowerInvariant());
            }

            return text.Length > 0 ? text.ToString() : key;
        }

        [GeneratedRegex("(?<!^)([A-Z])", RegexOptions.CultureInvariant)]
        private static partial Regex CamelCase();

        [GeneratedRegex(@"\[(?<key>[^\]]*)\]", RegexOptions.CultureInvariant)]
        private static partial Regex Indexed();

        [GeneratedRegex(@"^(?<kind>flow|message):(?<dir>to|from)\[(?<id>.*)\]$", RegexOptions.CultureInvariant)]
        private static partial Regex FlowKey();
    }
}
