namespace Workflows.Engine.Modules;

/// <summary>
/// A module's part of a command's <see cref="Storage.ChangeSet"/> that can tell whether it only adds rows of its own
/// (<see cref="Storage.ChangeSet.OnlyAdds"/>); a part that does not implement this counts as changing rows.
/// </summary>
internal interface IChangeSetPart
{
    /// <summary>Whether every row of the part is new and the command's own, so that no guard and no other command's row can refuse it.</summary>
    bool OnlyAdds { get; }
}
