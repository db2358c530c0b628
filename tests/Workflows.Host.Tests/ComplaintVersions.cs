using System.Text.RegularExpressions;

namespace Workflows.Host.Tests;

// The migration's version 2 of the library's complaint, derived from version 1 so that it follows the library; shared
// by the host's acceptance test (MigrationApiTests) and the migration benchmark (linked into bench/Workflows.Bench).
internal static class ComplaintVersions
{
    /// <summary>
    /// Version 2 of the library's complaint: 'register' renamed 'register_complaint' (and retitled), a new quality check
    /// before the answer, and no survey — so a case waiting at the survey has an active element without a mapping.
    /// </summary>
    public static string Version2(string v1)
    {
        var xml = v1.Replace("\"register\"", "\"register_complaint\"", StringComparison.Ordinal)
            .Replace("<bpmn:flowNodeRef>register</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>register_complaint</bpmn:flowNodeRef>", StringComparison.Ordinal)
            .Replace("name=\"Register and classify\"", "name=\"Register the complaint\"", StringComparison.Ordinal)
            .Replace("<bpmn:flowNodeRef>survey</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>check_quality</bpmn:flowNodeRef>", StringComparison.Ordinal)
            .Replace("""<bpmn:sequenceFlow id="resolved_to_respond" sourceRef="resolved" targetRef="respond"/>""",
                """<bpmn:sequenceFlow id="resolved_to_check_quality" sourceRef="resolved" targetRef="check_quality"/><bpmn:sequenceFlow id="check_quality_to_respond" sourceRef="check_quality" targetRef="respond"/>""",
                StringComparison.Ordinal)
            .Replace("""<bpmn:sequenceFlow id="respond_to_survey" sourceRef="respond" targetRef="survey"/>""", """<bpmn:sequenceFlow id="respond_to_closed" sourceRef="respond" targetRef="closed"/>""", StringComparison.Ordinal)
            .Replace("<bpmn:outgoing>resolved_to_respond</bpmn:outgoing>", "<bpmn:outgoing>resolved_to_check_quality</bpmn:outgoing>", StringComparison.Ordinal)
            .Replace("<bpmn:incoming>resolved_to_respond</bpmn:incoming>", "<bpmn:incoming>check_quality_to_respond</bpmn:incoming>", StringComparison.Ordinal)
            .Replace("<bpmn:outgoing>respond_to_survey</bpmn:outgoing>", "<bpmn:outgoing>respond_to_closed</bpmn:outgoing>", StringComparison.Ordinal)
            .Replace("<bpmn:incoming>survey_to_closed</bpmn:incoming>", "<bpmn:incoming>respond_to_closed</bpmn:incoming>", StringComparison.Ordinal);
        xml = Regex.Replace(xml, """<bpmn:userTask id="survey".*?</bpmn:userTask>""",
            """<bpmn:userTask id="check_quality" name="Check the answer's quality"><bpmn:extensionElements><wf:userTask candidateGroups="front-desk"/></bpmn:extensionElements><bpmn:incoming>resolved_to_check_quality</bpmn:incoming><bpmn:outgoing>check_quality_to_respond</bpmn:outgoing></bpmn:userTask>""",
            RegexOptions.Singleline);
        xml = Regex.Replace(xml, """\s*<bpmn:sequenceFlow id="survey_to_closed"[^>]*/>""", "");
        xml = Regex.Replace(xml, """\s*<bpmndi:BPMN(Shape|Edge) id="(survey|respond_to_survey|survey_to_closed|resolved_to_respond)_di".*?</bpmndi:BPMN(Shape|Edge)>""", "", RegexOptions.Singleline);
        return Regex.Replace(xml, """<wf:satisfactionPolicy[^>]*/>""", "");
    }
}
