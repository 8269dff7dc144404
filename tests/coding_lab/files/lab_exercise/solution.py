def moyenne(notes):
    return sum(notes) / len(notes) if notes else 0


if __name__ == "__main__":
    n = int(input())
    notes = [float(x) for x in input().split()] if n else []
    print(f"{moyenne(notes):.2f}")
