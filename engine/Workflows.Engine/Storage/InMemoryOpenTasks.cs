namespace Workflows.Engine.Storage;

/// <summary>
/// The ids of one running instance's open tasks, in the order they were added: the usual one inline, more in a list.
/// </summary>
/// <remarks>
/// A journey opens its tasks one after the other, so an instance's set of open tasks was made and dropped again for each
/// (a hash set, its buckets and its entries: 3 objects and ~200 bytes per task of a complaint); one open task costs no
/// object at all now. Set semantics as before: an id added twice is there once.
/// </remarks>
internal struct InMemoryOpenTasks
{
    private Guid _only;
    private bool _hasOnly;
    private List<Guid>? _many; // two or more, once there have been two

    public readonly int Count => _many?.Count ?? (_hasOnly ? 1 : 0);

    public void Add(Guid id)
    {
        if (_many is not null)
        {
            if (!_many.Contains(id))
            {
                _many.Add(id);
            }
        }
        else if (!_hasOnly)
        {
            (_only, _hasOnly) = (id, true);
        }
        else if (_only != id)
        {
            _many = [_only, id];
            _hasOnly = false;
        }
    }

    /// <summary>Removes the id; false when it was not there.</summary>
    public bool Remove(Guid id)
    {
        if (_many is not null)
        {
            return _many.Remove(id);
        }

        if (_hasOnly && _only == id)
        {
            _hasOnly = false;
            return true;
        }

        return false;
    }

    public readonly Enumerator GetEnumerator() => new(this);

    /// <summary>The ids in the order they were added (a struct, as the commit and the instance's task list walk them).</summary>
    public struct Enumerator(InMemoryOpenTasks open)
    {
        private int _index = -1;

        public readonly Guid Current => open._many is { } many ? many[_index] : open._only;

        public bool MoveNext() => ++_index < open.Count;
    }
}
