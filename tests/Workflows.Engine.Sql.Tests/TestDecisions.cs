namespace Workflows.Engine.Sql.Tests;

/// <summary>Decision models the store tests deploy.</summary>
internal static class TestDecisions
{
    /// <summary>A decision <paramref name="decisionId"/> giving <c>level</c> "agent" up to an <c>amount</c> of 1,000, else "manager".</summary>
    public static string Levels(string decisionId) => $"""
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="{decisionId}-definitions" name="Levels" namespace="urn:test">
          <decision id="{decisionId}" name="Level">
            <decisionTable id="t" hitPolicy="UNIQUE">
              <input id="i" label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
              <output id="o" name="level" typeRef="string"/>
              <rule id="small"><inputEntry><text>&lt;= 1000</text></inputEntry><outputEntry><text>"agent"</text></outputEntry></rule>
              <rule id="large"><inputEntry><text>&gt; 1000</text></inputEntry><outputEntry><text>"manager"</text></outputEntry></rule>
            </decisionTable>
          </decision>
        </definitions>
        """;
}
