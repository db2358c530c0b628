namespace Workflows.Engine.Runtime;

/// <summary>
/// The work this node runs for each instance right now (commands, in-process job handlers), so that an
/// instance that ends (cancelled, terminated) stops it at once instead of letting it run on.
/// </summary>
/// <remarks>
/// Correctness never rests on this: a command that ran on a state another command has since changed
/// loses its commit on the row version, and a job whose instance ended has no row to complete. This only
/// ends the work early (a long handler, a token run) and turns it into the retry a lost race gets.
/// Work on another node learns of the end at its commit.
/// </remarks>
internal sealed class InFlightWork
{
    private readonly Lock _lock = new();

    // Per instance: its one scope, or a list of them while several pieces of work run for it at once. The usual
    // instance has one command in flight at a time, which then costs no list.
    private readonly Dictionary<Guid, object> _byInstance = [];

    /// <summary>Begins a piece of work whose token is cancelled with <paramref name="outer"/> or when one of its instances ends.</summary>
    public Scope Begin(CancellationToken outer) => new(this, outer);

    /// <summary>The instance ended (its end is committed): work still running for it stops.</summary>
    public void Ended(Guid instanceId)
    {
        Scope? single = null;
        List<Scope>? several = null;
        lock (_lock)
        {
            if (!_byInstance.TryGetValue(instanceId, out var registered))
            {
                return;
            }

            if (registered is Scope one)
            {
                single = one;
            }
            else
            {
                several = [.. (List<Scope>)registered];
            }
        }

        single?.Stop(instanceId);
        if (several is not null)
        {
            foreach (var scope in several)
            {
                scope.Stop(instanceId);
            }
        }
    }

    private void Register(Guid instanceId, Scope scope)
    {
        lock (_lock)
        {
            if (!_byInstance.TryGetValue(instanceId, out var registered))
            {
                _byInstance[instanceId] = scope;
            }
            else if (registered is Scope one)
            {
                _byInstance[instanceId] = new List<Scope> { one, scope };
            }
            else
            {
                ((List<Scope>)registered).Add(scope);
            }
        }
    }

    private void Unregister(Guid instanceId, Scope scope)
    {
        lock (_lock)
        {
            if (!_byInstance.TryGetValue(instanceId, out var registered))
            {
                return;
            }

            if (ReferenceEquals(registered, scope) || (registered is List<Scope> scopes && scopes.Remove(scope) && scopes.Count == 0))
            {
                _byInstance.Remove(instanceId);
            }
        }
    }

    /// <summary>One piece of work: the instances it touches, and the token that stops it.</summary>
    internal sealed class Scope : IDisposable
    {
        private readonly InFlightWork _owner;
        private readonly CancellationTokenSource _cts;
        private readonly List<Guid> _instances = new(1); // the usual command touches one instance
        private Guid? _stoppedBy;
        private bool _disposed;

        public Scope(InFlightWork owner, CancellationToken outer)
        {
            _owner = owner;
            Outer = outer;
            _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        }

        /// <summary>The caller's token: the commit runs on it, so that an end signalled meanwhile costs a conflict, not a half-written transaction.</summary>
        public CancellationToken Outer { get; }

        /// <summary>Cancelled with the caller's token, or when an instance of this work ended.</summary>
        public CancellationToken Token => _cts.Token;

        /// <summary>The instance whose end stopped this work, if one did (the caller did not cancel).</summary>
        public Guid? StoppedBy
        {
            get
            {
                lock (_instances)
                {
                    return Outer.IsCancellationRequested ? null : _stoppedBy;
                }
            }
        }

        /// <summary>This work touches <paramref name="instanceId"/>: its end stops it.</summary>
        public void Add(Guid instanceId)
        {
            lock (_instances)
            {
                if (_disposed || _instances.Contains(instanceId))
                {
                    return;
                }

                _instances.Add(instanceId);
            }

            _owner.Register(instanceId, this);
        }

        internal void Stop(Guid instanceId)
        {
            lock (_instances)
            {
                if (_disposed)
                {
                    return;
                }

                _stoppedBy ??= instanceId;

                // Under the lock, so that a dispose cannot come between (a callback that disposes re-enters it).
                _cts.Cancel();
            }
        }

        public void Dispose()
        {
            lock (_instances)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
            }

            // Read outside the lock without a copy: once disposed, Add no longer changes the list.
            foreach (var id in _instances)
            {
                _owner.Unregister(id, this);
            }

            _cts.Dispose();
        }
    }
}
