namespace Workflows.Engine.Storage;

/// <summary>
/// The durable store behind the engine: every port by concern, which one store implements together
/// because a command's <see cref="IInstanceStore.CommitAsync"/> writes rows of all of them in one transaction.
/// Reads are indexed lookups. The contract every implementation keeps is the store suite
/// (tests/Workflows.Engine.Sql.Tests), run on the in-memory store and on each SQL dialect.
/// </summary>
internal interface IWorkflowStore : IDefinitionStore, IInstanceStore, IScheduleStore, IMessageStore, ITaskQueueStore, IServiceLevelStore, IBatchStore, IJobWorkerStore, IInspectionStore, IClockStore, IRolloutStore, IParkingStore, IDecisionStore, IDraftStore, IIdempotencyStore;
