using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Workflows.Engine.Storage;

/// <summary>
/// The texts of the in-memory store's history rows, as numbers (<see cref="HistoryRow"/>): names (kinds, element ids,
/// actors) each once, counted by the rows that refer to them and dropped with the last one; details (a business key, a
/// reason) each in a slot of their own, given back when the row is deleted. Used under the store's lock.
/// </summary>
/// <remarks>
/// A row is written with the very strings the engine gave (a kind's constant, the model's element id), so a small table by
/// reference finds most names without hashing their text. Kinds and element ids are a few hundred in a store's life, but
/// actors are people: a long-running host meets new ones every day, and a table that kept every name it was ever given
/// grew without bound (round 17). A name no row refers to any more is dropped and its number reused, so the table holds
/// what the kept rows name, and its dictionary is trimmed when most of it has gone.
/// </remarks>
internal sealed class InMemoryHistoryTexts
{
    /// <summary>The number of a detail that is an id, kept in the row itself.</summary>
    public const int IdDetail = -1;

    private const int RecentSize = 64; // a power of two

    // Below this many entries a dictionary emptied by deletions is not worth trimming.
    private const int TrimFloor = 1024;

    private string?[] _names = new string?[64]; // by number; 0: none
    private int[] _uses = new int[64]; // how many kept rows refer to each name
    private int _namesMade = 1; // numbers handed out so far, 0 included
    private readonly Stack<int> _freeNames = new();
    private readonly Dictionary<string, int> _nameNumbers = new(StringComparer.Ordinal);
    private readonly (string? Text, int Number)[] _recent = new (string?, int)[RecentSize];
    private readonly List<string?> _details = [null]; // 0: none
    private readonly Stack<int> _freeDetails = new();

    /// <summary>How many detail slots hold a text (tests check that deleted rows give theirs back).</summary>
    public int DetailsHeld => _details.Count - 1 - _freeDetails.Count;

    /// <summary>How many names are held (tests check that a name no row refers to is dropped).</summary>
    public int NamesHeld => _nameNumbers.Count;

    /// <summary>
    /// The number of a name (0 for none), made on its first use, for a row about to be kept: the row is counted as one
    /// more that refers to it, until <see cref="ReleaseName"/>.
    /// </summary>
    public int Name(string? name)
    {
        if (name is null)
        {
            return 0;
        }

        ref var recent = ref _recent[RuntimeHelpers.GetHashCode(name) & (RecentSize - 1)];
        if (ReferenceEquals(recent.Text, name))
        {
            _uses[recent.Number]++;
            return recent.Number;
        }

        ref var number = ref CollectionsMarshal.GetValueRefOrAddDefault(_nameNumbers, name, out var known);
        if (!known)
        {
            number = NewNameNumber(name);
        }

        _uses[number]++;
        recent = (name, number);
        return number;
    }

    /// <summary>The name of a number <see cref="Name(string?)"/> gave; null for 0.</summary>
    public string? Name(int number) => number == 0 ? null : _names[number];

    /// <summary>A deleted row no longer refers to the name: the name is dropped with the last row that did.</summary>
    public void ReleaseName(int number)
    {
        if (number == 0 || --_uses[number] > 0)
        {
            return;
        }

        _nameNumbers.Remove(_names[number]!);
        _names[number] = null;
        _freeNames.Push(number);

        // The number will be another name's: the table by reference must not find it under this one.
        foreach (ref var recent in _recent.AsSpan())
        {
            if (recent.Number == number)
            {
                recent = default;
            }
        }

        if (_nameNumbers.Capacity > TrimFloor && _nameNumbers.Count < _nameNumbers.Capacity / 4)
        {
            _nameNumbers.TrimExcess();
        }
    }

    private int NewNameNumber(string name)
    {
        if (_freeNames.TryPop(out var free))
        {
            _names[free] = name;
            return free;
        }

        if (_namesMade == _names.Length)
        {
            Array.Resize(ref _names, _names.Length * 2);
            Array.Resize(ref _uses, _uses.Length * 2);
        }

        _names[_namesMade] = name;
        return _namesMade++;
    }

    /// <summary>The number of a new slot holding <paramref name="detail"/> (0 for none).</summary>
    public int Detail(string? detail)
    {
        if (detail is null)
        {
            return 0;
        }

        if (_freeDetails.TryPop(out var free))
        {
            _details[free] = detail;
            return free;
        }

        _details.Add(detail);
        return _details.Count - 1;
    }

    /// <summary>The detail of a number <see cref="Detail(string?)"/> gave; null for 0.</summary>
    public string? Detail(int number) => number <= 0 ? null : _details[number];

    /// <summary>A deleted row's detail slot is free again (nothing for none or an id).</summary>
    public void ReleaseDetail(int number)
    {
        if (number > 0)
        {
            _details[number] = null;
            _freeDetails.Push(number);
        }
    }
}
