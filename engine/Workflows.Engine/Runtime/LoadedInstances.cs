using System.Collections;

namespace Workflows.Engine.Runtime;

/// <summary>
/// The instances a command loaded or created, by id, in the order they came: the first in a field, a dictionary only from
/// the second on.
/// </summary>
/// <remarks>
/// Most commands touch one instance, and a dictionary of one cost every command its object, buckets and entries (~240 B,
/// 2 % of what a complaint allocates in memory, round 17). A mutable struct: kept as a field of its
/// <see cref="UnitOfWork"/>, never copied.
/// </remarks>
internal struct LoadedInstances
{
    private LoadedInstance? _first;
    private Dictionary<Guid, LoadedInstance>? _all; // from the second instance on: every one, the first included

    /// <summary>The instances, in the order they came.</summary>
    public readonly LoadedInstanceSet All => new(_first, _all);

    public readonly bool TryGetValue(Guid id, out LoadedInstance instance)
    {
        if (_all is not null)
        {
            return _all.TryGetValue(id, out instance!);
        }

        if (_first is not null && _first.Id == id)
        {
            instance = _first;
            return true;
        }

        instance = null!;
        return false;
    }

    public readonly bool ContainsKey(Guid id) => TryGetValue(id, out _);

    /// <summary>Keeps <paramref name="instance"/> under <paramref name="id"/>, in place of one kept under it already.</summary>
    public void Put(Guid id, LoadedInstance instance)
    {
        if (_all is not null)
        {
            _all[id] = instance;
        }
        else if (_first is null || _first.Id == id)
        {
            _first = instance;
        }
        else
        {
            _all = new() { [_first.Id] = _first, [id] = instance };
        }
    }
}

/// <summary>The instances of a <see cref="LoadedInstances"/>, in the order they came; a struct enumerator for foreach.</summary>
internal readonly struct LoadedInstanceSet(LoadedInstance? first, Dictionary<Guid, LoadedInstance>? all) : IEnumerable<LoadedInstance>
{
    public Enumerator GetEnumerator() => new(first, all);

    IEnumerator<LoadedInstance> IEnumerable<LoadedInstance>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Walks the dictionary's values when there is one, else the one instance there is.</summary>
    public struct Enumerator(LoadedInstance? first, Dictionary<Guid, LoadedInstance>? all) : IEnumerator<LoadedInstance>
    {
        private Dictionary<Guid, LoadedInstance>.ValueCollection.Enumerator _values = all is null ? default : all.Values.GetEnumerator();
        private bool _firstTaken;

        public LoadedInstance Current { get; private set; } = null!;

        readonly object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (all is not null)
            {
                var moved = _values.MoveNext();
                Current = moved ? _values.Current : null!;
                return moved;
            }

            if (_firstTaken || first is null)
            {
                return false;
            }

            _firstTaken = true;
            Current = first;
            return true;
        }

        public void Reset() => throw new NotSupportedException();

        public readonly void Dispose()
        {
        }
    }
}
