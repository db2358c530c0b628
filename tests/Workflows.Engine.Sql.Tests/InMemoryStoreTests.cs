using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql.Tests;

/// <summary>The store suite on the in-memory store, the engine's default: it keeps the same contract as the databases.</summary>
public sealed class InMemoryStoreTests : StoreSuite
{
    private InMemoryWorkflowStore? _store;

    protected override Task CreateStoreAsync()
    {
        _store = new InMemoryWorkflowStore();
        return Task.CompletedTask;
    }

    protected override Task DropStoreAsync()
    {
        _store = null;
        return Task.CompletedTask;
    }

    private protected override IWorkflowStore NewStore() => _store ?? throw new InvalidOperationException("the store was not created");
}
