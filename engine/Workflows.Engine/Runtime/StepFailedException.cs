namespace Workflows.Engine.Runtime;

/// <summary>A step that cannot go on: becomes an incident on the element, with the state as before the step.</summary>
internal sealed class StepFailedException(string message) : Exception(message);
