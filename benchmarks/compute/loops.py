import math


def main():
    total = 0.0
    i = 0.0
    while i < 600:
        j = 0.0
        while j < 600:
            total = total + math.fmod(i * j, 7)
            j = j + 1
        i = i + 1
    print(int(total))


main()
