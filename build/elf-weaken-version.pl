#!/usr/bin/perl
# Marks a version requirement (e.g. GLIBCXX_3.4.32) of an ELF64 little-endian shared library as weak
# (VER_FLG_WEAK in its Elf64_Vernaux entry of .gnu.version_r), so that the dynamic loader accepts a
# libstdc++ that lacks it. patchelf has no option for this; the edit is two bytes in place.
# Usage: elf-weaken-version.pl FILE VERSION_NAME
use strict;
use warnings;

my ($path, $wanted) = @ARGV;
die "usage: $0 FILE VERSION_NAME\n" unless defined $wanted;
open(my $fh, '+<:raw', $path) or die "cannot open $path: $!\n";
local $/;
my $elf = <$fh>;

die "$path is not an ELF64 little-endian file\n" unless substr($elf, 0, 4) eq "\x7fELF" && ord(substr($elf, 4, 1)) == 2 && ord(substr($elf, 5, 1)) == 1;
my ($shoff) = unpack('Q<', substr($elf, 0x28, 8));
my ($shentsize, $shnum) = unpack('S<S<', substr($elf, 0x3A, 4));

my @sections;
for my $i (0 .. $shnum - 1) {
    my ($name, $type, $flags, $addr, $offset, $size, $link, $info) = unpack('L<L<Q<Q<Q<Q<L<L<', substr($elf, $shoff + $i * $shentsize, 48));
    push @sections, { type => $type, offset => $offset, size => $size, link => $link, info => $info };
}

my ($verneed) = grep { $_->{type} == 0x6ffffffe } @sections;    # SHT_GNU_verneed
die "$path has no .gnu.version_r section\n" unless $verneed;
my $strtab = $sections[$verneed->{link}]->{offset};

my $found = 0;
my $vn = $verneed->{offset};
for (1 .. $verneed->{info}) {
    my ($version, $count, $file, $aux, $next) = unpack('S<S<L<L<L<', substr($elf, $vn, 16));
    my $va = $vn + $aux;
    for (1 .. $count) {
        my ($hash, $flags, $other, $name, $anext) = unpack('L<S<S<L<L<', substr($elf, $va, 16));
        my $end = index($elf, "\0", $strtab + $name);
        if (substr($elf, $strtab + $name, $end - $strtab - $name) eq $wanted) {
            seek($fh, $va + 4, 0) or die "seek: $!\n";
            print $fh pack('S<', $flags | 0x2) or die "write: $!\n";    # VER_FLG_WEAK
            $found = 1;
        }
        $va += $anext;
        last if $anext == 0;
    }
    last if $next == 0;
    $vn += $next;
}
close($fh) or die "close: $!\n";
die "$path does not require $wanted\n" unless $found;
