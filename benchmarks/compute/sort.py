import math


def main():
    data = []
    seed = 42.0
    for i in range(3000):
        seed = math.fmod(seed * 1103515245 + 12345, 2147483648)
        data.append(math.fmod(seed, 10000))
    n = len(data)
    i = 1
    while i < n:
        key = data[i]
        j = i - 1
        while j >= 0 and data[j] > key:
            data[j + 1] = data[j]
            j = j - 1
        data[j + 1] = key
        i = i + 1
    print(f"{int(data[0])} {int(data[n - 1])} {int(data[1500])}")


main()
