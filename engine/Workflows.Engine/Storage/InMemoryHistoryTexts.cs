using System.Runtime.CompilerServices;

namespace Workflows.Engine.Storage;

/// <summary>
/// The texts of the in-memory store's history rows, as numbers (<see cref="HistoryRow"/>): names (kinds, element ids,
/// actors: a few hundred in a store's life) each once, for good; details (a business key, a reason) each in a slot of their
/// own, given back when the row is deleted. Used under the store's lock.
/// </summary>
/// <remarks>
/// A row is written with the very strings the engine gave (a kind's constant, the model's element id), so a small table by
/// reference finds most names without hashing their text.
/// </remarks>
internal sealed class InMemoryHistoryTexts
{
    /// <summary>The number of a detail that is an id, kept in the row itself.</summary>
    public const int IdDetail = -1;

    private const int RecentSize = 64; // a power of two

    private readonly List<string> _names = [null!]; // 0: none
    private readonly Dictionary<string, int> _nameNumbers = new(StringComparer.Ordinal);
    private readonly (string? Text, int Number)[] _recent = new (string?, int)[RecentSize];
    private readonly List<string?> _details = [null]; // 0: none
    private readonly Stack<int> _freeDetails = new();

    /// <summary>How many detail slots hold a text (tests check that deleted rows give theirs back).</summary>
    public int DetailsHeld => _details.Count - 1 - _freeDetails.Count;

    /// <summary>The number of a name (0 for none), made on its first use.</summary>
    public int Name(string? name)
    {
        if (name is null)
        {
            return 0;
        }

        ref var recent = ref _recent[RuntimeHelpers.GetHashCode(name) & (RecentSize - 1)];
        if (ReferenceEquals(recent.Text, name))
        {
            return recent.Number;
        }

        if (!_nameNumbers.TryGetValue(name, out var number))
        {
            number = _names.Count;
            _names.Add(name);
            _nameNumbers[name] = number;
        }

        recent = (name, number);
        return number;
    }

    /// <summary>The name of a number <see cref="Name(string?)"/> gave; null for 0.</summary>
    public string? Name(int number) => number == 0 ? null : _names[number];

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
