def moyenne(notes):
    # À compléter
    return 0


if __name__ == "__main__":
    n = int(input())
