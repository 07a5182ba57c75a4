#!/usr/bin/env python3
"""A small Windows-shaped drive for the hits-first order (issue 18).

    python3 bench/gen_windows_shape.py DIR

Writes DIR (about 535 MB): system and program folders, three user profiles
each with a camera roll of 60 originals of 2.5 MB, documents, pictures and
caches, and 12 known pictures written last (the highest inodes, as recent
downloads are) in Downloads, Desktop, Pictures/Saved, AppData/Roaming and
Documents/old, a third of them renamed to .dat or .pdf; and DIR.alert.txt,
the MD5s of the 12 (harmless random bytes behind a JPEG signature).
Then, e.g.:

    ferret hashset --library L import -k alert -n alerts DIR.alert.txt
    ferret inventory -a md5 --library L -s alerts --device hdd DIR > /dev/null
"""
import os, sys, random, hashlib
root=sys.argv[1]; random.seed(7)
def w(p, n):
    p=os.path.join(root,p); os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p,'wb') as f: f.write(random.randbytes(n))
for i in range(400): w(f'Windows/System32/f{i:04d}.dll', 80_000)
for i in range(100): w(f'Program Files/App/res{i:03d}.png', 30_000)
for u in ['alex','kim','sam']:
    for i in range(60): w(f'Users/{u}/Pictures/Camera Roll/IMG_{i:04d}.JPG', 2_500_000)
    for i in range(100): w(f'Users/{u}/Documents/doc{i:03d}.pdf', 60_000)
    for i in range(40): w(f'Users/{u}/Pictures/pic{i:03d}.jpg', 400_000)
    for i in range(50): w(f'Users/{u}/AppData/Local/App/cache{i:03d}.bin', 20_000)
# known pictures, written last (highest inodes), a third renamed
places=['Users/alex/Downloads/a.jpg','Users/kim/Desktop/b.jpg','Users/sam/Pictures/Saved/c.jpg',
 'Users/alex/AppData/Roaming/Telegram Desktop/d.jpg','Users/kim/Documents/old/e.jpg','Users/sam/Downloads/f.jpg',
 'Users/alex/Desktop/g.dat','Users/kim/Downloads/h.pdf','Users/sam/Documents/old/i.dat',
 'Users/alex/Pictures/Saved/j.jpg','Users/kim/AppData/Roaming/Telegram Desktop/k.pdf','Users/sam/Desktop/l.jpg']
al=[]
for p in places:
    b=b'\xff\xd8\xff\xe0'+random.randbytes(300_000)
    w2=os.path.join(root,p); os.makedirs(os.path.dirname(w2),exist_ok=True); open(w2,'wb').write(b)
    al.append(hashlib.md5(b).hexdigest())
open(root.rstrip('/')+'.alert.txt','w').write('\n'.join(al)+'\n')
